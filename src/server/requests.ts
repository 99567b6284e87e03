import { nanoid } from 'nanoid';
import type { StoredMessage } from '../engines/Engine.js';
import { StatewireError } from '../errors/StatewireError.js';
import type {
  ClientMessage,
  ClientMessageType,
  HistMsg,
  PingMsg,
  PresenceMsg,
  PubMsg,
  QackMsg,
  QnackMsg,
  QpubMsg,
  QregMsg,
  QunregMsg,
  ReqMsg,
  SendMsg,
  SubMsg,
  TokenMsg,
  UnsubMsg,
} from '../protocol/frames.js';
import { parseClientMessage, requestIdOf } from '../protocol/validate.js';
import type { HandlerContext } from './eventHandlers.js';
import { verifyToken } from './handshake.js';
import type { Membership } from './membership.js';
import {
  andThen,
  checkRoomAccess,
  forbidden,
  handlerContext,
  historyAnswer,
  requireAllowed,
} from './rules.js';
import type { SessionPort } from './sessionPort.js';
import { isThenable } from './thenable.js';
import { EncodedMessage } from './wire.js';

type Handler<T extends ClientMessageType> = (
  conn: SessionPort,
  msg: Extract<ClientMessage, { type: T }>,
  // biome-ignore lint/suspicious/noConfusingVoidType: nothing, or a promise whose failure is answered
) => void | Promise<unknown>;

function uidOf(conn: SessionPort): string {
  return conn.uid as string;
}

function context(conn: SessionPort, msg: SendMsg | ReqMsg): HandlerContext {
  return handlerContext(uidOf(conn), msg.event, msg.room, conn.session);
}

/**
 * Registers the member (live messages are held), then sends what it must catch up on: the
 * history after `since`, or without `since` whatever was published after the position read
 * before registering. Held live copies of replayed messages are dropped by offset, so every
 * message reaches the client once and in order, before the `res` that carries the position.
 */
async function subscribe(conn: SessionPort, msg: SubMsg): Promise<void> {
  const { room, since } = msg;
  const { engine } = conn.core;
  const { maxSubscriptions } = conn.core.options;
  if (!conn.memberships.has(room) && conn.memberships.size > maxSubscriptions) {
    throw forbidden(`at most ${maxSubscriptions} subscriptions per connection`);
  }
  const entered = await conn.ordered(() =>
    andThen(checkRoomAccess(conn.core, uidOf(conn), 'subscribe', room), () =>
      andThen(since ?? engine.position(room), (from) => {
        const joined = conn.enterRoom(room);
        // Held in the same step: a live message must not slip in before the replay.
        joined.membership.hold();
        return { ...joined, from };
      }),
    ),
  );
  const { membership, ready, isNew, from } = entered;
  try {
    await ready;
    if (isNew) await engine.join(room, uidOf(conn), conn.session);
    const page = await engine.history(room, { since: from });
    if (!conn.isMember(membership)) return;
    const replay = page.epoch === from.epoch ? page.messages : [];
    for (const message of replay) {
      if (!membership.passOwn(message)) conn.enqueueMessage(new EncodedMessage(message));
    }
    membership.release({ epoch: page.epoch, offset: page.offset });
    conn.reply(msg.id, {
      epoch: page.epoch,
      offset: page.offset,
      recovered: since !== undefined && page.complete && page.epoch === since.epoch,
      missed: since === undefined ? 0 : replay.length,
    });
  } catch (error) {
    if (isNew) await conn.leaveRoom(room).catch(() => {});
    else membership.release(null);
    throw error;
  }
}

async function unsubscribe(conn: SessionPort, msg: UnsubMsg): Promise<void> {
  // The own uid room cannot be left; unsubscribing from it is a no-op.
  await conn.ordered(() => (msg.room === conn.uid ? undefined : conn.leaveRoom(msg.room)));
  conn.reply(msg.id, {});
}

/**
 * The hot path: no async frames of its own, the content encoded once (the engine counts its
 * bytes and the members get it from that), the answer written without a generic encoder.
 */
function publish(conn: SessionPort, msg: PubMsg): void | Promise<void> {
  const step = conn.ordered(admitPublish, conn, msg);
  if (!isThenable(step)) return answerPublish(conn, msg, step);
  return step.then((publishing) => answerPublish(conn, msg, publishing));
}

/**
 * Checks and stores a publish. It answers a `Publishing`, not the engine's promise: later
 * messages of the connection need not wait for the engine.
 */
function admitPublish(conn: SessionPort, msg: PubMsg): Publishing | Promise<Publishing> {
  const uid = uidOf(conn);
  requireMembership(conn, uid, msg.room);
  const allowed = requireAllowed(conn.core, uid, 'publish', msg.room, 'room');
  if (allowed === undefined) return store(conn, uid, msg);
  return allowed.then(() => store(conn, uid, msg));
}

function requireMembership(conn: SessionPort, uid: string, room: string): void {
  if (room !== uid && !conn.memberships.has(room)) {
    throw forbidden(`publish into room "${room}" needs a subscription`);
  }
}

interface Publishing {
  id: string;
  stored: StoredMessage | Promise<StoredMessage>;
  /** The publisher's membership when it asked for no echo: it passes over the message's copy. */
  own: Membership | undefined;
}

function store(conn: SessionPort, uid: string, msg: PubMsg): Publishing {
  const id = msg.mid ?? nanoid();
  // Before the engine is called: the memory engine fans out before `publish` returns.
  const own = conn.echoes ? undefined : conn.memberships.get(msg.room);
  own?.expectOwn(id);
  const input = {
    room: msg.room,
    event: msg.event,
    content: msg.content,
    id,
    from: uid,
    contentJson: JSON.stringify(msg.content),
  };
  const { publishNow, engine } = conn.core;
  if (!publishNow) return { id, stored: engine.publish(input), own };
  try {
    return { id, stored: publishNow(input), own };
  } catch (error) {
    return { id, stored: Promise.reject(error), own };
  }
}

function answerPublish(conn: SessionPort, msg: PubMsg, publishing: Publishing): void {
  const { stored } = publishing;
  if (!isThenable(stored)) {
    acked(conn, msg, publishing, stored);
    return;
  }
  stored.then(
    (message) => acked(conn, msg, publishing, message),
    (error) => {
      publishing.own?.settleOwn(publishing.id, null);
      conn.fail(msg.id, error);
    },
  );
}

function acked(conn: SessionPort, msg: PubMsg, publishing: Publishing, message: StoredMessage) {
  publishing.own?.settleOwn(publishing.id, message);
  conn.ackPublish(msg.id, msg.mid, message);
}

async function send(conn: SessionPort, msg: SendMsg): Promise<void> {
  await conn.ordered(() =>
    andThen(requireAllowed(conn.core, uidOf(conn), 'send', msg.event, 'event'), () => {
      conn.core.handlers.notify(msg.content, context(conn, msg));
    }),
  );
}

async function request(conn: SessionPort, msg: ReqMsg): Promise<void> {
  const { reply } = await conn.ordered(() =>
    andThen(requireAllowed(conn.core, uidOf(conn), 'request', msg.event, 'event'), () => {
      return { reply: conn.core.handlers.request(msg.content, context(conn, msg)) };
    }),
  );
  conn.reply(msg.id, await reply);
}

async function history(conn: SessionPort, msg: HistMsg): Promise<void> {
  await conn.ordered(() => checkRoomAccess(conn.core, uidOf(conn), 'history', msg.room));
  const page = await conn.core.engine.history(msg.room, { since: msg.since, limit: msg.limit });
  conn.reply(msg.id, historyAnswer(page));
}

async function presence(conn: SessionPort, msg: PresenceMsg): Promise<void> {
  await conn.ordered(() => requireAllowed(conn.core, uidOf(conn), 'presence', msg.room, 'room'));
  conn.reply(msg.id, { members: await conn.core.engine.members(msg.room) });
}

function ping(conn: SessionPort, msg: PingMsg): void {
  conn.enqueue(JSON.stringify({ type: 'pong', id: msg.id }));
}

async function refreshToken(conn: SessionPort, msg: TokenMsg): Promise<void> {
  const auth = conn.core.options.auth;
  if (!auth?.verifyToken) throw new StatewireError('BAD_REQUEST', 'token auth is not configured');
  const verified = await verifyToken(auth, msg.token, conn.core.options.now);
  if (verified.uid !== conn.uid)
    throw new StatewireError('UNAUTHORIZED', 'token is for another uid');
  if (!conn.isLive) return;
  const { expiresAt } = verified;
  conn.signal({
    type: 'TOKEN_REFRESHED',
    tokenTtlMs: expiresAt === undefined ? undefined : expiresAt - conn.core.options.now(),
  });
  conn.reply(msg.id, expiresAt === undefined ? {} : { expiresAt });
}

/** Attaches a consumer; later messages of the connection wait until it is attached. */
async function registerQueue(conn: SessionPort, msg: QregMsg): Promise<void> {
  const queue = await conn.ordered(() => conn.queues.register(msg.queue));
  conn.reply(msg.id, { queue });
}

async function unregisterQueue(conn: SessionPort, msg: QunregMsg): Promise<void> {
  await conn.ordered(() => conn.queues.unregister(msg.queue));
  conn.reply(msg.id, {});
}

/** Steps of the connection's order, given arguments: no closure per message. */
function admitQpub(conn: SessionPort, msg: QpubMsg) {
  return conn.core.queues.admit(uidOf(conn), msg.queue, msg);
}

function admitReply(conn: SessionPort, msg: QackMsg) {
  const input = { data: msg.reply ?? null, correlationId: msg.correlationId };
  return conn.core.queues.admit(uidOf(conn), msg.replyTo as string, input);
}

type Admitted = Awaited<ReturnType<typeof admitQpub>>;

/** The engine's answer to an admitted message, once `authorize` said yes. */
function storedOf(step: Admitted | Promise<Admitted>): Admitted['stored'] {
  return isThenable(step) ? step.then(storedAnswer) : step.stored;
}

function storedAnswer(admitted: Admitted): Admitted['stored'] {
  return admitted.stored;
}

/** A `quiet` qpub (an rpc request) is answered only when it fails: its reply is the answer. */
function queuePublish(conn: SessionPort, msg: QpubMsg): Promise<unknown> {
  // A failure is answered by `dispatch`.
  const stored = storedOf(conn.ordered(admitQpub, conn, msg));
  if (msg.quiet === true) return stored;
  return stored.then((ack) => conn.reply(msg.id, ack));
}

/**
 * A `qack` with `replyTo` is a worker's reply and ack in one message: the reply is put on
 * `replyTo` first, then the delivery is settled whether the reply was taken or refused (a
 * refusal comes back as an `error` frame naming the reply queue).
 */
function queueAck(conn: SessionPort, msg: QackMsg): Promise<void> {
  const { replyTo } = msg;
  if (replyTo === undefined) {
    if (msg.reply !== undefined || msg.correlationId !== undefined) {
      throw new StatewireError('BAD_REQUEST', 'qack: "reply" and "correlationId" need "replyTo"');
    }
    return conn.queues.ack(msg.queue, msg.deliveryId);
  }
  let stored: Promise<unknown>;
  try {
    // A qack settles a delivery even with the token expired; the reply it carries is a publish.
    requireFreshToken(conn);
    stored = storedOf(conn.ordered(admitReply, conn, msg));
  } catch (error) {
    stored = Promise.reject(error);
  }
  return stored.then(
    () => conn.queues.ack(msg.queue, msg.deliveryId),
    (error) => {
      replyRefused(conn, replyTo, error);
      return conn.queues.ack(msg.queue, msg.deliveryId);
    },
  );
}

function replyRefused(conn: SessionPort, replyTo: string, error: unknown): void {
  const message = `reply to queue "${replyTo}" failed: ${(error as Error).message}`;
  conn.fail(
    undefined,
    error instanceof StatewireError ? new StatewireError(error.code, message) : error,
  );
}

function queueNack(conn: SessionPort, msg: QnackMsg): Promise<void> {
  return conn.queues.nack(msg.queue, msg.deliveryId, msg.reason);
}

function alreadySignedIn(): never {
  throw new StatewireError('BAD_REQUEST', 'already signed in');
}

/** What a signed-in session does with each message type. */
export const requestHandlers: { [T in ClientMessageType]: Handler<T> } = {
  hello: alreadySignedIn,
  auth: alreadySignedIn,
  token: refreshToken,
  sub: subscribe,
  unsub: unsubscribe,
  pub: publish,
  send,
  req: request,
  ping,
  hist: history,
  presence,
  qreg: registerQueue,
  qunreg: unregisterQueue,
  qpub: queuePublish,
  qack: queueAck,
  qnack: queueNack,
};

/**
 * TOKEN_EXPIRED blocks everything but the refresh itself, pings, and settling queue
 * deliveries (they keep arriving during the grace period; blocked acks would only redeliver).
 */
const ALLOWED_WHILE_EXPIRED = new Set<ClientMessageType>(['token', 'ping', 'qack', 'qnack']);

/** The token gate: TOKEN_EXPIRED while the session's token is expired. */
function requireFreshToken(conn: SessionPort): void {
  if (conn.tokenExpired) {
    throw new StatewireError('TOKEN_EXPIRED', 'token expired: refresh it first');
  }
}

/** Validates one message of a signed-in session and runs its handler; errors become answers. */
export function dispatch(conn: SessionPort, raw: unknown): void {
  let msg: ClientMessage;
  try {
    msg = parseClientMessage(raw, conn.core.options.maxDepth);
  } catch (error) {
    conn.fail(requestIdOf(raw), error);
    return;
  }
  const id = requestIdOf(msg);
  const handler = requestHandlers[msg.type] as Handler<ClientMessageType>;
  try {
    if (!ALLOWED_WHILE_EXPIRED.has(msg.type)) requireFreshToken(conn);
    const pending = handler(conn, msg as never);
    if (pending) pending.catch((error) => conn.fail(id, error));
  } catch (error) {
    conn.fail(id, error);
  }
}
