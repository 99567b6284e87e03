import { nanoid } from 'nanoid';
import type { RawData, WebSocket } from 'ws';
import { type Actor, createActor } from 'xstate';
import type { StoredMessage } from '../engines/Engine.js';
import { StatewireError } from '../errors/StatewireError.js';
import type { SessionEmitted, SessionEvent, sessionMachine } from '../machines/serverSession.js';
import { CLOSE } from '../protocol/closeCodes.js';
import { decodeFrame } from '../protocol/codec.js';
import type { HelloMsg, RequestId } from '../protocol/frames.js';
import { requestIdOf } from '../protocol/validate.js';
import type { BrokerCore } from './core.js';
import type { Flushable } from './flushScheduler.js';
import { FrameQueue } from './frameQueue.js';
import { handshakeFrame } from './handshake.js';
import { Membership } from './membership.js';
import { ConnectionQueues } from './queues/connectionQueues.js';
import { RateLimiter } from './rateLimiter.js';
import { dispatch } from './requests.js';
import { serverSessionLogic } from './sessionParents.js';
import type { PendingChallenge, SessionPort } from './sessionPort.js';
import { SharedFrames, TEXT } from './sharedFrames.js';
import { StepOrder } from './stepOrder.js';
import {
  type EncodedMessage,
  errorFrame,
  publishAckFrame,
  resErrorFrame,
  resFrame,
  toWireError,
} from './wire.js';

function ignore(): void {}

const connectionOf = new WeakMap<WebSocket, Connection>();
/** One for every connection of the process: consecutive sends of one frame share its bytes. */
const sharedFrames = new SharedFrames();

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  connectionOf.get(this)?.receive(data, isBinary);
}

function onSocketPong(this: WebSocket): void {
  connectionOf.get(this)?.notePong();
}

function onSocketClose(this: WebSocket): void {
  connectionOf.get(this)?.socketClosed();
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * One client socket: its session actor (lifecycle only), its rooms, its outbox. Frames are
 * handled in plain code; the actor hears only about lifecycle changes.
 */
export class Connection implements SessionPort, Flushable {
  readonly session = nanoid();
  #uid: string | null = null;
  /** Set while challenge auth waits for the client's signature. */
  #challenge: PendingChallenge | null = null;
  readonly memberships = new Map<string, Membership>();
  /** Made on first use: most connections consume no queue. */
  #queues: ConnectionQueues | null = null;
  readonly actor: Actor<typeof sessionMachine>;

  private readonly activity = { count: 0 };
  private readonly limiter: RateLimiter | null;
  private readonly outbox = new FrameQueue();
  /** The client reads `acks` items (`hello.features`). */
  private batchesAcks = false;
  /** The client reads `msgs` items (`hello.features`). */
  private readsRuns = false;
  #echoes = true;
  private flushQueued = false;
  /** False once closing started: nothing more is read or sent. */
  private live = true;
  private detached = false;
  private readonly steps = new StepOrder();
  private isClosed = false;
  /** Callers of whenClosed() (server shutdown): a promise per connection only when asked. */
  private closedWaiters: Array<() => void> | null = null;

  private readonly onClosed: (connection: Connection) => void;

  constructor(
    private readonly ws: WebSocket,
    readonly core: BrokerCore,
    onClosed: (connection: Connection) => void,
  ) {
    const { options } = core;
    this.limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : null;
    this.actor = createActor(serverSessionLogic, {
      input: {
        heartbeatMs: options.heartbeatMs,
        handshakeTimeoutMs: options.handshakeTimeoutMs,
        tokenGraceMs: options.tokenGraceMs,
        closeTimeoutMs: options.closeTimeoutMs,
        activity: this.activity,
      },
      parent: core.sessionParents.next(),
    });
    core.sessionParents.register(this.actor, this);

    this.onClosed = onClosed;
    // Handlers shared by every socket (no closures per connection: idle heap).
    connectionOf.set(ws, this);
    ws.on('close', onSocketClose);
    ws.on('error', ignore); // a 'close' always follows
    ws.on('pong', onSocketPong);
    ws.on('message', onSocketMessage);
    this.actor.start();
  }

  /** The socket answered a ping. */
  notePong(): void {
    this.activity.count++;
  }

  /** The socket is closed: the session ends and the rooms are left. */
  socketClosed(): void {
    this.live = false;
    // Its final state: the actor stops itself (one with a parent cannot be stopped).
    this.signal({ type: 'SOCKET_CLOSED' });
    this.detach();
    this.isClosed = true;
    this.core.sessionParents.forget(this.actor);
    this.onClosed(this);
    for (const resolve of this.closedWaiters ?? []) resolve();
    this.closedWaiters = null;
  }

  /** The queues this connection consumes. */
  get queues(): ConnectionQueues {
    if (!this.#queues) {
      this.#queues = new ConnectionQueues(this, this.core.queues, this.core.options.onError);
      // A step queued behind a slow one can run after the close: it must find them detached.
      if (this.detached) this.#queues.detachAll();
    }
    return this.#queues;
  }

  /** How many queues this connection consumes (without making its queue set). */
  get queueCount(): number {
    return this.#queues?.size ?? 0;
  }

  /** Resolves once the socket is closed (its rooms were left when closing began). */
  whenClosed(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      this.closedWaiters ??= [];
      this.closedWaiters.push(resolve);
    });
  }

  get isOpen(): boolean {
    return this.live && this.actor.getSnapshot().hasTag('open');
  }

  get isLive(): boolean {
    return this.live;
  }

  get tokenExpired(): boolean {
    return this.actor.getSnapshot().hasTag('tokenExpired');
  }

  get uid(): string | null {
    return this.#uid;
  }

  get awaitsHello(): boolean {
    return this.actor.getSnapshot().matches({ signingIn: 'handshake' });
  }

  get awaitsSignature(): boolean {
    return this.actor.getSnapshot().matches({ signingIn: { authenticating: 'awaitingSignature' } });
  }

  bindUid(uid: string): void {
    this.#uid = uid;
  }

  holdChallenge(challenge: PendingChallenge): void {
    this.#challenge = challenge;
  }

  takeChallenge(): PendingChallenge | null {
    const challenge = this.#challenge;
    this.#challenge = null;
    return challenge;
  }

  // ---- outgoing ----

  enqueue(frame: string): void {
    if (!this.live) return;
    this.outbox.push(frame);
    this.scheduleFlush();
  }

  enqueueMessage(message: EncodedMessage): void {
    if (!this.live) return;
    if (this.readsRuns) this.outbox.message(message);
    else this.outbox.pushMessage(message.item);
    this.scheduleFlush();
  }

  get echoes(): boolean {
    return this.#echoes;
  }

  /** What the client's `hello` asks for: the `features` it reads beyond the base, `echo`. */
  useHello(hello: HelloMsg): void {
    this.batchesAcks = hello.features?.includes('acks') ?? false;
    this.readsRuns = hello.features?.includes('msgs') ?? false;
    this.#echoes = hello.echo !== false;
  }

  /** Answers a stored publish: in an `acks` item when the client reads them and chose the id. */
  ackPublish(id: RequestId, mid: string | undefined, message: StoredMessage): void {
    if (!this.batchesAcks || mid === undefined) {
      this.enqueue(publishAckFrame(id, message));
      return;
    }
    if (!this.live) return;
    this.outbox.ack(id, message.offset, message.epoch);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.core.flusher.schedule(this);
  }

  /** Writes everything queued plus `frame` at once (control frames, before a close). */
  sendNow(frame: string): void {
    if (!this.live) return;
    this.outbox.push(frame);
    this.write();
  }

  flush(): void {
    this.flushQueued = false;
    if (!this.live || this.outbox.isEmpty) return;
    if (this.ws.bufferedAmount > this.core.options.maxBufferedBytes) {
      this.outbox.clear();
      this.close(CLOSE.TRY_AGAIN_LATER, 'SLOW_CONSUMER');
      return;
    }
    this.write();
  }

  reply(id: RequestId, data: unknown): void {
    this.enqueue(resFrame(id, data));
  }

  /** Answers a failed message: `res` error when it had an id, an `error` frame otherwise. */
  fail(id: RequestId | undefined, error: unknown): void {
    const wire = toWireError(error);
    if (!(error instanceof StatewireError)) this.core.reportError(error, 'request');
    this.enqueue(id === undefined ? errorFrame(wire) : resErrorFrame(id, wire));
  }

  /** Tells the session machine about a lifecycle change (ignored once it has ended). */
  signal(event: SessionEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event);
  }

  close(code: number, reason: string): void {
    this.signal({ type: 'CLOSE', code, reason });
  }

  /** Server shutdown: `bye`, then close 1001. */
  shutdown(reason: string): void {
    this.sendNow(JSON.stringify({ type: 'bye', reason }));
    this.close(CLOSE.GOING_AWAY, 'SHUTDOWN');
  }

  // ---- ordering ----

  ordered<T, A = undefined, B = undefined>(
    step: (a: A, b: B) => T | Promise<T>,
    a?: A,
    b?: B,
  ): T | Promise<T> {
    return this.steps.run(step, a, b);
  }

  // ---- rooms ----

  /** Joins `room` on this node (listening starts with the first local member). */
  enterRoom(room: string): { membership: Membership; ready: Promise<void>; isNew: boolean } {
    const existing = this.memberships.get(room);
    if (existing) return { membership: existing, ready: Promise.resolve(), isNew: false };
    const membership = new Membership(this, room);
    this.memberships.set(room, membership);
    return { membership, ready: this.core.hub.add(membership), isNew: true };
  }

  isMember(membership: Membership): boolean {
    return this.memberships.get(membership.room) === membership;
  }

  async leaveRoom(room: string): Promise<void> {
    const membership = this.memberships.get(room);
    if (!membership) return;
    this.memberships.delete(room);
    this.core.hub.remove(membership);
    if (this.uid !== null) await this.core.engine.leave(room, this.uid, this.session);
  }

  // ---- internals ----

  /** Socket work the session machine asks for; a throw here must not fail the actor. */
  perform(command: SessionEmitted): void {
    try {
      switch (command.type) {
        case 'ping':
          this.ws.ping();
          break;
        case 'tokenExpired':
          this.sendNow(
            errorFrame(
              { code: 'TOKEN_EXPIRED', message: 'token expired' },
              { graceMs: command.graceMs },
            ),
          );
          break;
        case 'close':
          this.closeSocket(command.code, command.reason);
          break;
        case 'terminate':
          this.ws.terminate();
          break;
      }
    } catch (error) {
      this.core.reportError(error, `session ${command.type}`);
    }
  }

  /** The session actor failed (reported already): nothing would close the socket otherwise. */
  sessionFailed(): void {
    if (this.live) this.closeSocket(CLOSE.INTERNAL_ERROR, 'INTERNAL');
    else this.ws.terminate();
  }

  /** One frame from the socket. */
  receive(data: RawData, isBinary: boolean): void {
    this.activity.count++;
    if (!this.live) return;
    if (isBinary) {
      this.sendNow(errorFrame({ code: 'BAD_REQUEST', message: 'binary frames are not supported' }));
      this.close(CLOSE.PROTOCOL_ERROR, 'BAD_REQUEST');
      return;
    }
    const text = textOf(data);
    if (!this.isOpen) {
      handshakeFrame(this, text);
      return;
    }
    let messages: unknown[];
    try {
      messages = decodeFrame(text);
    } catch (error) {
      if (this.admit(undefined)) this.fail(undefined, error);
      return;
    }
    for (const raw of messages) {
      if (!this.live) break;
      if (this.admit(requestIdOf(raw))) dispatch(this, raw);
    }
  }

  private admit(id: RequestId | undefined): boolean {
    const verdict = this.limiter?.take() ?? 'ok';
    if (verdict === 'ok') return true;
    const limited = new StatewireError('RATE_LIMITED', 'too many messages');
    if (verdict === 'refused') {
      this.fail(id, limited);
      return false;
    }
    this.sendNow(
      id === undefined ? errorFrame(limited.toWire()) : resErrorFrame(id, limited.toWire()),
    );
    this.close(CLOSE.POLICY_VIOLATION, 'RATE_LIMITED');
    return false;
  }

  private write(): void {
    for (const frame of this.outbox.take()) this.ws.send(sharedFrames.of(frame), TEXT);
  }

  private closeSocket(code: number, reason: string): void {
    this.detach();
    if (reason !== 'SLOW_CONSUMER' && !this.outbox.isEmpty) this.write();
    this.live = false;
    this.outbox.clear();
    this.ws.close(code, reason);
  }

  /** Leaves every room and queue and forgets the uid; runs once, when closing starts. */
  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.#queues?.detachAll();
    const uid = this.uid;
    for (const membership of this.memberships.values()) {
      this.core.hub.remove(membership);
      if (uid !== null) {
        this.core.engine
          .leave(membership.room, uid, this.session)
          .catch((error) => this.core.reportError(error, `engine leave ${membership.room}`));
      }
    }
    this.memberships.clear();
    if (uid !== null) this.core.signedOut(uid);
  }
}
