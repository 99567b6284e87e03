import type { Engine } from '../engines/Engine.js';
import { EventHandlers } from './eventHandlers.js';
import { FlushScheduler } from './flushScheduler.js';
import type { AuthorizeAction, ResolvedOptions } from './options.js';
import { RoomHub } from './roomHub.js';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * Everything a transport (WebSocket sessions now, HTTP endpoints later) needs to serve a
 * signed-in uid with the same rules: engine, local rooms, handlers, authorization.
 */
export class BrokerCore {
  readonly engine: Engine;
  readonly handlers: EventHandlers;
  readonly hub: RoomHub;
  readonly flusher = new FlushScheduler();
  /** uid → number of signed-in connections on this node. */
  private readonly localUids = new Map<string, number>();

  constructor(readonly options: ResolvedOptions) {
    this.engine = options.engine;
    this.handlers = new EventHandlers(options.onError);
    this.hub = new RoomHub(this.engine, options.onError);
  }

  /** `authorize` verdict; true without one. A throwing authorize refuses (and is reported). */
  allowed(uid: string, action: AuthorizeAction, target: string): boolean | Promise<boolean> {
    const authorize = this.options.authorize;
    if (!authorize) return true;
    const refuse = (error: unknown) => {
      this.options.onError(error, `authorize ${action}`);
      return false;
    };
    try {
      const verdict = authorize(uid, action, target);
      return isThenable(verdict)
        ? Promise.resolve(verdict).then((v) => v === true, refuse)
        : verdict === true;
    } catch (error) {
      return refuse(error);
    }
  }

  /**
   * Whether `room` is the personal room of another uid: a uid signed in here or present in
   * its own room anywhere the engine reaches.
   */
  isForeignUidRoom(uid: string, room: string): boolean | Promise<boolean> {
    if (room === uid) return false;
    if (this.localUids.has(room)) return true;
    return this.engine.members(room).then((members) => members.includes(room));
  }

  signedIn(uid: string): void {
    this.localUids.set(uid, (this.localUids.get(uid) ?? 0) + 1);
  }

  signedOut(uid: string): void {
    const count = (this.localUids.get(uid) ?? 1) - 1;
    if (count > 0) this.localUids.set(uid, count);
    else this.localUids.delete(uid);
  }

  reportError(error: unknown, where: string): void {
    this.options.onError(error, where);
  }
}
