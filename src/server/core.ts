import type { Engine } from '../engines/Engine.js';
import { immediatePublishOf, type PublishNow } from '../engines/immediatePublish.js';
import type { EngineDelivery } from '../engines/QueueEngine.js';
import { EventHandlers } from './eventHandlers.js';
import { FlushScheduler } from './flushScheduler.js';
import type { AuthorizeAction, ResolvedOptions } from './options.js';
import {
  QueueBroker,
  type QueueMessageInput,
  type TempQueueConsumer,
} from './queues/queueBroker.js';
import { RoomHub } from './roomHub.js';
import { SessionParents } from './sessionParents.js';
import { isThenable } from './thenable.js';

/**
 * Everything a transport (WebSocket sessions now, HTTP endpoints later) needs to serve a
 * signed-in uid with the same rules: engine, local rooms, handlers, authorization.
 */
export class BrokerCore {
  readonly engine: Engine;
  /** The engine's `publish` without a promise, when it stores in-process (the memory engine). */
  readonly publishNow: PublishNow | undefined;
  readonly handlers: EventHandlers;
  readonly hub: RoomHub;
  readonly queues: QueueBroker;
  readonly flusher: FlushScheduler;
  readonly sessionParents: SessionParents;
  /** uid → signed-in connections on this node, and whether one of them claims the uid room. */
  private readonly localUids = new Map<string, { sessions: number; claims: boolean }>();

  constructor(readonly options: ResolvedOptions) {
    this.engine = options.engine;
    this.publishNow = immediatePublishOf(options.engine);
    this.flusher = new FlushScheduler(options.onError);
    this.sessionParents = new SessionParents(options);
    this.handlers = new EventHandlers(options.onError);
    this.hub = new RoomHub(this.engine, options.onError);
    this.queues = new QueueBroker(
      this.engine.queues,
      (uid, action, target) => this.allowed(uid, action, target),
      options.tempQueueGraceMs,
      options.onError,
    );
    const { onDeadLetter } = options;
    if (onDeadLetter) {
      this.engine.queues.onDeadLetter((letter) => {
        try {
          onDeadLetter(letter);
        } catch (error) {
          options.onError(error, 'onDeadLetter');
        }
      });
    }
  }

  /**
   * Puts a message on `queue` for `uid` (authorize 'enqueue'): resolves with its id; FORBIDDEN,
   * NOT_FOUND for an unknown queue, UNAVAILABLE when full.
   */
  enqueue(uid: string, queue: string, message: QueueMessageInput): Promise<{ id: string }> {
    return this.queues.enqueue(uid, queue, message);
  }

  /**
   * A new temporary queue owned by `uid` that server code consumes (HTTP rpc: pass its name as
   * `replyTo`). Every delivery is acked and handed to `deliver`; `stop()` removes the queue.
   */
  consumeTemp(
    uid: string,
    deliver: (delivery: EngineDelivery) => void,
  ): Promise<TempQueueConsumer> {
    return this.queues.consumeTemp(uid, deliver);
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

  /** Whether `room` is the personal room of another uid: one that has ever signed in. */
  isForeignUidRoom(uid: string, room: string): boolean | Promise<boolean> {
    if (room === uid) return false;
    if (this.localUids.has(room)) return true;
    return this.engine.isKnownUid(room);
  }

  /**
   * `claim`: a stated or verified uid keeps its room for the engine's claim ttl after its last
   * session (renewed then); an assigned one needs no claim.
   */
  signedIn(uid: string, claim: boolean): void {
    const local = this.localUids.get(uid) ?? { sessions: 0, claims: false };
    local.sessions++;
    local.claims ||= claim;
    this.localUids.set(uid, local);
    if (claim) this.rememberUid(uid);
  }

  rememberUid(uid: string): void {
    this.engine.rememberUid(uid).catch((error) => this.reportError(error, 'engine rememberUid'));
  }

  signedOut(uid: string): void {
    const local = this.localUids.get(uid);
    if (!local) return;
    if (--local.sessions > 0) return;
    this.localUids.delete(uid);
    if (local.claims) this.rememberUid(uid);
  }

  reportError(error: unknown, where: string): void {
    this.options.onError(error, where);
  }
}
