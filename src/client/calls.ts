import type { ErrorCode } from '../errors/codes.js';
import { StatewireError } from '../errors/StatewireError.js';
import type { AcksMsg, PubMsg, RequestId, StreamPosition, WireError } from '../protocol/frames.js';
import type { Timers } from './clock.js';
import { Deadlines } from './deadlines.js';
import type { Outbox } from './outbox.js';
import { type OutgoingMessage, pubHead, type Unsent } from './outgoing.js';
import type { Signals } from './signals.js';

/**
 * Where the client stands, seen from the calls:
 * - online: signed in, send now;
 * - starting: first connect since CONNECT under way, queue;
 * - reconnecting: was signed in, socket lost: publishes wait, requests fail;
 * - stopped: idle or closed, a call wakes the connection up (lazy) and queues.
 */
export type Phase = 'online' | 'starting' | 'reconnecting' | 'stopped';

/**
 * - request: answered by `res` (or `pong`), rejected with DISCONNECTED when the socket goes;
 * - publish: like a request, but kept (buffered, resent with the same `mid`) across losses;
 * - send: fire and forget;
 * - control: sub/unsub, owned by subscription actors: dropped on loss, never buffered.
 */
type CallKind = 'request' | 'publish' | 'send' | 'control';

interface Call {
  kind: CallKind;
  /** The call's own frame: it gets the id of each attempt as it leaves. */
  message: OutgoingMessage & { id?: RequestId };
  resolve(data: unknown): void;
  reject(error: StatewireError): void;
  timeoutMs?: number;
  /** May be retried once after a token refresh when answered TOKEN_EXPIRED. */
  retryOnExpired: boolean;
  id?: RequestId;
  /**
   * The message as JSON without its id and closing brace, once it waits or may be sent again:
   * its content is read once, when the call is made, so a caller changing the object
   * afterwards changes nothing, and each attempt appends its own id.
   */
  head?: string;
  /** While its timeout runs (`Deadlines`). */
  deadline?: number;
  sentAt?: number;
}

export interface CallSettings {
  /** Default: the client's `timeoutMs`; null: not timed here (the caller times it). */
  timeoutMs?: number | null;
  retryOnExpired?: boolean;
}

export interface CallsDeps {
  outbox: Outbox;
  clock: Timers;
  /** Monotonic ms, for ping round trips. */
  now(): number;
  timeoutMs: number;
  maxBuffered: number;
  /** Where `wake`, `tokenExpired` and `sendFailed` go. */
  signals: Signals;
  /** Hears each `pub` answered, before its promise settles: stored `at`, or refused (undefined). */
  published?(message: Unsent<PubMsg>, at: StreamPosition | undefined): void;
}

const noop = () => undefined;

/** A message as JSON without its id, up to its closing brace (see `Call.head`). */
function headOf(message: OutgoingMessage): string {
  return message.type === 'pub' ? pubHead(message) : JSON.stringify(message).slice(0, -1);
}

function wireError(error: WireError): StatewireError {
  return new StatewireError(error.code, error.message);
}

/**
 * Every request/response exchange of the client, in plain code (no actor per call): ids,
 * timeouts on the client's clock, the offline buffer, TOKEN_EXPIRED → refresh → retry once,
 * and settling everything when the connection goes away, so nothing is left pending.
 */
export class Calls {
  #phase: Phase = 'stopped';
  #seq = 0;
  readonly #inFlight = new Map<RequestId, Call>();
  /** Waiting for the connection (bounded by `maxBuffered`). */
  #buffer: Call[] = [];
  /** Answered TOKEN_EXPIRED, waiting for the refresh. */
  #held: Call[] = [];

  readonly #deadlines: Deadlines<Call>;

  constructor(private readonly deps: CallsDeps) {
    this.#deadlines = new Deadlines(deps.clock, deps.now, (call) => this.#expire(call));
  }

  get phase(): Phase {
    return this.#phase;
  }

  request(message: OutgoingMessage, options: CallSettings = {}): Promise<unknown> {
    return this.#call('request', message, options);
  }

  publish(message: OutgoingMessage, options: CallSettings = {}): Promise<unknown> {
    return this.#call('publish', message, options);
  }

  /** Fire and forget; false when the offline buffer is full. */
  send(message: OutgoingMessage): boolean {
    const call: Call = {
      kind: 'send',
      message,
      resolve: noop,
      reject: noop,
      retryOnExpired: false,
    };
    if (this.#phase === 'online') {
      this.deps.outbox.send(message);
      return true;
    }
    if (this.#buffer.length >= this.deps.maxBuffered) return false;
    call.head = headOf(message);
    this.#buffer.push(call);
    if (this.#phase === 'stopped') this.deps.signals.emit('wake', undefined);
    return true;
  }

  /** sub/unsub: only sent while online; the answer goes to `settle`. */
  control(
    message: OutgoingMessage,
    settle: (error: StatewireError | undefined, data?: unknown) => void,
  ) {
    if (this.#phase !== 'online') return;
    this.#send({
      kind: 'control',
      message,
      resolve: (data) => settle(undefined, data),
      reject: (error) => settle(error),
      retryOnExpired: true,
    });
  }

  #call(kind: CallKind, message: OutgoingMessage, options: CallSettings): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const call: Call = {
        kind,
        message,
        resolve,
        reject,
        timeoutMs:
          options.timeoutMs === null ? undefined : (options.timeoutMs ?? this.deps.timeoutMs),
        retryOnExpired: options.retryOnExpired ?? true,
      };
      switch (this.#phase) {
        case 'online':
          return this.#send(call);
        case 'reconnecting':
          if (kind === 'request') {
            return reject(new StatewireError('DISCONNECTED', 'not connected (reconnecting)'));
          }
          return this.#enqueue(call);
        case 'starting':
          return this.#enqueue(call);
        case 'stopped':
          this.#enqueue(call);
          return this.deps.signals.emit('wake', undefined);
      }
    });
  }

  #enqueue(call: Call): void {
    if (this.#buffer.length >= this.deps.maxBuffered) {
      if (call.message.type === 'pub') this.deps.published?.(call.message, undefined);
      call.reject(new StatewireError('UNAVAILABLE', 'offline buffer is full (maxBuffered)'));
      return;
    }
    call.head ??= headOf(call.message);
    this.#buffer.push(call);
  }

  #send(call: Call): void {
    if (call.kind === 'send') {
      try {
        this.deps.outbox.sendText(
          call.head === undefined ? JSON.stringify(call.message) : `${call.head}}`,
        );
      } catch (error) {
        this.deps.signals.emit('sendFailed', error as StatewireError);
      }
      return;
    }
    const id = ++this.#seq;
    call.id = id;
    this.#stopTimer(call);
    try {
      // A publish keeps its head for a resend after a loss, which gets a new id.
      if (call.head === undefined && call.kind === 'publish') call.head = headOf(call.message);
      call.message.id = id;
      this.deps.outbox.sendText(
        call.head === undefined ? JSON.stringify(call.message) : `${call.head},"id":${id}}`,
      );
    } catch (error) {
      // Too large for any frame: it never left (and leaves the no-echo list).
      if (call.message.type === 'pub') this.deps.published?.(call.message, undefined);
      call.reject(error as StatewireError);
      return;
    }
    this.#inFlight.set(id, call);
    if (call.message.type === 'ping') call.sentAt = this.deps.now();
    // The timeout runs from the moment the call is sent, not from when it was buffered.
    if (call.timeoutMs !== undefined) {
      this.#deadlines.start(call, call.timeoutMs);
    }
  }

  #stopTimer(call: Call): void {
    this.#deadlines.stop(call);
  }

  #expire(call: Call): void {
    if (call.id !== undefined) this.#inFlight.delete(call.id);
    this.#held = this.#held.filter((held) => held !== call);
    call.reject(
      new StatewireError(
        'TIMEOUT',
        `no answer to ${call.message.type} within ${call.timeoutMs} ms`,
      ),
    );
  }

  /** `res` or an `error` carrying a request id. */
  onResponse(id: RequestId, data: unknown, error: WireError | undefined): void {
    const call = this.#inFlight.get(id);
    if (!call) return;
    this.#inFlight.delete(id);
    if (!error) {
      this.#stopTimer(call);
      if (call.message.type === 'pub') this.deps.published?.(call.message, data as StreamPosition);
      call.resolve(data);
      return;
    }
    if (error.code === 'TOKEN_EXPIRED' && call.retryOnExpired) {
      call.retryOnExpired = false;
      this.#held.push(call);
      this.deps.signals.emit('tokenExpired', undefined);
      return;
    }
    this.#stopTimer(call);
    if (call.message.type === 'pub') this.deps.published?.(call.message, undefined);
    call.reject(wireError(error));
  }

  /** Acks of publishes that carried a `mid`: each resolves with its position and that id. */
  onAcks({ epoch, ids, offsets }: AcksMsg): void {
    if (!Array.isArray(ids) || !Array.isArray(offsets)) return;
    const count = Math.min(ids.length, offsets.length);
    for (let i = 0; i < count; i++) {
      const call = this.#inFlight.get(ids[i]);
      if (call?.message.type !== 'pub') continue;
      this.#inFlight.delete(ids[i]);
      this.#stopTimer(call);
      const ack = { offset: offsets[i], epoch, id: call.message.mid };
      this.deps.published?.(call.message, ack);
      call.resolve(ack);
    }
  }

  /**
   * The outcome of a publish came another way (an rpc's reply answers its `quiet` qpub): it
   * resolves, and is neither timed out nor resent any more.
   */
  answered(message: OutgoingMessage): void {
    const { id } = message as { id?: RequestId };
    const sent = id === undefined ? undefined : this.#inFlight.get(id);
    let call: Call | undefined;
    if (sent?.message === message) {
      call = sent;
      this.#inFlight.delete(id as RequestId);
    } else {
      call = [...this.#buffer, ...this.#held].find((waiting) => waiting.message === message);
      this.#buffer = this.#buffer.filter((waiting) => waiting !== call);
      this.#held = this.#held.filter((waiting) => waiting !== call);
    }
    if (!call) return;
    this.#stopTimer(call);
    call.resolve(undefined);
  }

  /** A pong answers `ping()` with the round trip in ms. */
  onPong(id: RequestId): void {
    const call = this.#inFlight.get(id);
    if (!call) return;
    this.#inFlight.delete(id);
    this.#stopTimer(call);
    call.resolve(this.deps.now() - (call.sentAt ?? 0));
  }

  onTokenRefreshed(): void {
    const held = this.#held;
    this.#held = [];
    for (const call of held) {
      if (this.#phase === 'online') this.#send(call);
      else this.#settleLost(call);
    }
  }

  onTokenRefreshFailed(code: ErrorCode, message: string): void {
    const held = this.#held;
    this.#held = [];
    for (const call of held) {
      this.#stopTimer(call);
      call.reject(new StatewireError(code, message));
    }
  }

  /** Moves to a new phase: flushes the buffer when signed in, settles calls on a loss. */
  setPhase(phase: Phase, stopError?: StatewireError): void {
    const previous = this.#phase;
    this.#phase = phase;
    if (phase === 'online') return;
    if (previous === 'online') this.#onLost();
    if (phase === 'stopped') {
      this.#stop(stopError ?? new StatewireError('DISCONNECTED', 'client disconnected'));
    }
  }

  /** Sends what waited for the connection; call after the subscriptions went out. */
  flush(): void {
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const call of buffered) this.#send(call);
  }

  #onLost(): void {
    const pending = [...this.#inFlight.values(), ...this.#held];
    this.#inFlight.clear();
    this.#held = [];
    const kept: Call[] = [];
    for (const call of pending) {
      if (call.kind === 'publish') {
        this.#stopTimer(call);
        kept.push(call);
      } else {
        this.#settleLost(call);
      }
    }
    // Publishes in flight were made before anything buffered since: they go first, in order.
    kept.sort((a, b) => Number(a.id) - Number(b.id));
    this.#buffer = [...kept, ...this.#buffer];
  }

  #settleLost(call: Call): void {
    this.#stopTimer(call);
    if (call.kind === 'publish') {
      this.#buffer.push(call);
    } else if (call.kind === 'request') {
      call.reject(new StatewireError('DISCONNECTED', 'connection lost'));
    }
  }

  #stop(error: StatewireError): void {
    const all = [...this.#inFlight.values(), ...this.#held, ...this.#buffer];
    this.#inFlight.clear();
    this.#held = [];
    this.#buffer = [];
    for (const call of all) {
      this.#stopTimer(call);
      if (call.kind === 'request' || call.kind === 'publish') call.reject(error);
    }
    this.#deadlines.clear();
  }
}
