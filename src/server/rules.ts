import type { StoredMessage, StoredPage } from '../engines/Engine.js';
import { StatewireError } from '../errors/StatewireError.js';
import type { BrokerCore } from './core.js';
import type { HandlerContext } from './eventHandlers.js';
import type { AuthorizeAction } from './options.js';
import { isThenable } from './thenable.js';
import { publicMessage } from './wire.js';

/*
 * Broker rules in transport-neutral form, shared by the WebSocket requests and the HTTP
 * endpoints. Checks continue synchronously when `authorize` and the engine answer
 * synchronously, so a caller can keep per-connection ordering cheap.
 */

/** Continues synchronously when `value` is already there (not `then`: a module must not be thenable). */
export function andThen<T, R>(
  value: T | Promise<T>,
  next: (value: T) => R | Promise<R>,
): R | Promise<R> {
  return isThenable(value) ? value.then(next) : next(value);
}

export function forbidden(message: string): StatewireError {
  return new StatewireError('FORBIDDEN', message);
}

/** What `authorize` refusing `action` on `target` answers. */
export function refused(
  action: AuthorizeAction,
  target: string,
  kind: 'room' | 'event',
): StatewireError {
  return forbidden(`${action} refused for ${kind} "${target}"`);
}

/** FORBIDDEN unless `authorize(uid, action, target)` allows it. */
export function requireAllowed(
  core: BrokerCore,
  uid: string,
  action: AuthorizeAction,
  target: string,
  kind: 'room' | 'event',
): void | Promise<void> {
  const allowed = core.allowed(uid, action, target);
  // Without `authorize`, or with its synchronous answer, nothing waits and no closure is made.
  if (allowed === true) return;
  if (allowed === false) throw refused(action, target, kind);
  return allowed.then((ok) => {
    if (!ok) throw refused(action, target, kind);
  });
}

/** FORBIDDEN when `room` is the personal room of another uid. */
export function requireNotForeignUidRoom(
  core: BrokerCore,
  uid: string,
  room: string,
): void | Promise<void> {
  return andThen(core.isForeignUidRoom(uid, room), (foreign) => {
    if (foreign) throw forbidden(`room "${room}" belongs to another uid`);
  });
}

/**
 * Reading a room (subscribe, history) and publishing without membership (HTTP): `authorize`
 * plus the rule that another uid's room is off limits.
 */
export function checkRoomAccess(
  core: BrokerCore,
  uid: string,
  action: 'subscribe' | 'history' | 'publish',
  room: string,
): void | Promise<void> {
  return andThen(requireAllowed(core, uid, action, room, 'room'), () =>
    requireNotForeignUidRoom(core, uid, room),
  );
}

export function handlerContext(
  uid: string,
  event: string,
  room: string | undefined,
  session?: string,
): HandlerContext {
  const ctx: HandlerContext = { uid, event };
  if (session !== undefined) ctx.session = session;
  if (room !== undefined) ctx.room = room;
  return ctx;
}

/** The answer to a publish. */
export function publishAck(message: StoredMessage) {
  return { offset: message.offset, epoch: message.epoch, id: message.id };
}

/** The answer to a history read. */
export function historyAnswer(page: StoredPage) {
  return {
    epoch: page.epoch,
    offset: page.offset,
    messages: page.messages.map(publicMessage),
    complete: page.complete,
  };
}
