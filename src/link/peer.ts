import { type ClientClock, monotonicNow, realTimers, type Timers } from '../client/clock.js';
import { Emitter } from '../client/emitter.js';
import { Outbox } from '../client/outbox.js';
import { StatewireError } from '../errors/StatewireError.js';
import type { Json } from '../protocol/frames.js';

export type LinkHandler = (content: Json, event: string) => void;

export interface LinkEvents {
  /** A peer is connected and signed in (after `hello`/`welcome`). */
  connected: Record<string, never>;
  /** The peer went away, or this side closed. */
  disconnected: { reason: string; code?: number };
}

interface PendingPing {
  resolve(ms: number): void;
  reject(error: StatewireError): void;
  sentAt: number;
  timer: unknown;
}

/** A message between the two ends, as decoded (unchecked). */
interface LinkMessage {
  type?: unknown;
  id?: unknown;
  event?: unknown;
  content?: Json;
}

/** `*` gets every event. */
const EVERY_EVENT = '*';

/**
 * What both ends of a link share: the outgoing frames, `send` to the peer's handlers, `ping`
 * answered by `pong`, and settling everything when the connection goes. Each side plugs its
 * socket into `outbox` and reports `opened`/`closed`.
 */
export class LinkPeer {
  readonly outbox = new Outbox();
  readonly events = new Emitter<LinkEvents>();
  readonly #handlers = new Emitter<Record<string, { event: string; content: Json }>>();
  readonly #pings = new Map<string, PendingPing>();
  readonly #clock: Timers;
  readonly #now: () => number;
  #connected = false;
  #seq = 0;

  constructor(
    clock: ClientClock | undefined,
    private readonly timeoutMs: number,
  ) {
    this.#clock = clock ?? realTimers;
    this.#now = monotonicNow(clock);
  }

  get isConnected(): boolean {
    return this.#connected;
  }

  opened(): void {
    if (this.#connected) return;
    this.#connected = true;
    this.events.emit('connected', {});
  }

  /** The connection is gone: pending pings reject DISCONNECTED. */
  closed(reason: string, code?: number): void {
    if (!this.#connected) return;
    this.#connected = false;
    const pings = [...this.#pings.values()];
    this.#pings.clear();
    for (const ping of pings) {
      this.#clock.clearTimeout(ping.timer);
      ping.reject(new StatewireError('DISCONNECTED', `link closed: ${reason}`));
    }
    this.events.emit('disconnected', code === undefined ? { reason } : { reason, code });
  }

  /** A message from the peer (after the handshake). Unknown types are ignored. */
  receive(frame: object): void {
    const message = frame as LinkMessage;
    switch (message.type) {
      case 'send': {
        const { event, content } = message;
        if (typeof event !== 'string') return;
        const payload = { event, content: content ?? null };
        this.#handlers.emit(event, payload);
        this.#handlers.emit(EVERY_EVENT, payload);
        return;
      }
      case 'ping':
        this.outbox.send({ type: 'pong', id: message.id });
        return;
      case 'pong':
        this.#pong(message.id);
        return;
    }
  }

  /** False when no peer is connected. */
  send(event: string, content: Json): boolean {
    if (typeof event !== 'string' || event === '') {
      throw new StatewireError('BAD_REQUEST', 'send: event must be a non-empty string');
    }
    if (!this.#connected) return false;
    return this.outbox.send({ type: 'send', event, content: content ?? null });
  }

  on(event: string, handler: LinkHandler): () => void {
    return this.#handlers.on(event, ({ event: name, content }) => handler(content, name));
  }

  /** Round trip in ms; TIMEOUT after `timeoutMs`, DISCONNECTED when the link goes. */
  ping(): Promise<number> {
    if (!this.#connected) {
      return Promise.reject(new StatewireError('DISCONNECTED', 'link is not connected'));
    }
    const id = `p${++this.#seq}`;
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#pings.delete(id);
        reject(new StatewireError('TIMEOUT', `no pong within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.#pings.set(id, { resolve, reject, sentAt: this.#now(), timer });
      this.outbox.send({ type: 'ping', id });
    });
  }

  #pong(id: unknown): void {
    if (typeof id !== 'string') return;
    const ping = this.#pings.get(id);
    if (!ping) return;
    this.#pings.delete(id);
    this.#clock.clearTimeout(ping.timer);
    ping.resolve(this.#now() - ping.sentAt);
  }
}
