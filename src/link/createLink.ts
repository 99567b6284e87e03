import type { InspectionEvent, Observer } from 'xstate';
import type { Transport } from '../actors/transport.js';
import type { ClientClock } from '../client/clock.js';
import { StatewireError } from '../errors/StatewireError.js';
import type { Json } from '../protocol/frames.js';
import { LinkListener } from './bindLink.js';
import { LinkConnection } from './connectLink.js';
import { type LinkEvents, type LinkHandler, LinkPeer } from './peer.js';

export interface LinkOptions {
  /** Connect/handshake steps and `ping()`. Default 30000. */
  timeoutMs?: number;
  /** Bound side: how often the peer pings (announced in `welcome`). Default 25000. */
  heartbeatMs?: number;
  /** Bound side: largest frame accepted. Default 1 MiB. */
  maxPayload?: number;
  /** Drives every timer (XState's SimulatedClock in tests). */
  clock?: ClientClock;
  /** Connecting side: the socket (default: WebSocket). */
  transport?: Transport;
  /** An XState inspection observer: the connection actor, or each peer's `linkSession` actor. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** A one-to-one link (SPEC §7): one side binds, the other connects; then both are alike. */
export interface Link {
  /** Listens for one peer on `host:port` (port 0 = any free port); resolves with the port. */
  bind(host?: string, port?: number): Promise<number>;
  /** Connects to a bound link; rejects UNAVAILABLE when unreachable or busy. */
  connect(host: string, port: number): Promise<void>;
  /** To the peer's `on(event)` handlers; false when no peer is connected. */
  send(event: string, content: Json): boolean;
  /** Handles the peer's `send(event)` (`'*'` = every event); returns off(). */
  on(event: string, handler: LinkHandler): () => void;
  /** Round trip in ms. */
  ping(): Promise<number>;
  readonly isConnected: boolean;
  /** A peer connected (bound side: each peer it accepts). */
  onConnected(handler: (payload: LinkEvents['connected']) => void): () => void;
  /** The peer went away or this side closed. */
  onDisconnected(handler: (payload: LinkEvents['disconnected']) => void): () => void;
  /** Ends the connection (and stops listening, on the bound side). */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_HEARTBEAT_MS = 25_000;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

function urlOf(host: string, port: number): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

class StatewireLink implements Link {
  readonly #peer: LinkPeer;
  #side: LinkListener | LinkConnection | undefined;
  /** Set from `bind`/`connect` until `close`: a link is one side or the other at a time. */
  #inUse = false;
  /** Counts `close()` calls, so a bind that finishes after one knows it. */
  #closes = 0;

  constructor(private readonly options: LinkOptions = {}) {
    for (const key of ['heartbeatMs', 'timeoutMs'] as const) {
      const value = options[key];
      if (value !== undefined && !(value > 0)) {
        throw new StatewireError('BAD_REQUEST', `createLink: ${key} must be a positive number`);
      }
    }
    this.#peer = new LinkPeer(options.clock, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  get isConnected(): boolean {
    return this.#peer.isConnected;
  }

  async bind(host = '127.0.0.1', port = 0): Promise<number> {
    this.#claim('bind');
    const { options } = this;
    const closes = this.#closes;
    try {
      const listener = await LinkListener.listen(host, port, this.#peer, {
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
        maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
        clock: options.clock,
        inspect: options.inspect,
      });
      if (this.#closes !== closes) {
        // close() was called while binding.
        await listener.close();
        throw new StatewireError('DISCONNECTED', 'link closed while binding');
      }
      this.#side = listener;
      return listener.port;
    } catch (error) {
      if (error instanceof StatewireError) throw error;
      this.#inUse = false;
      const message = (error as Error).message;
      throw new StatewireError('UNAVAILABLE', `cannot bind ${host}:${port}: ${message}`, {
        cause: error,
      });
    }
  }

  async connect(host: string, port: number): Promise<void> {
    this.#claim('connect');
    const connection = new LinkConnection(urlOf(host, port), this.#peer, {
      timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      clock: this.options.clock,
      transport: this.options.transport,
      inspect: this.options.inspect,
    });
    this.#side = connection;
    try {
      await connection.ready;
    } catch (error) {
      if (this.#side === connection) {
        this.#side = undefined;
        this.#inUse = false;
      }
      connection.close();
      throw error;
    }
  }

  send(event: string, content: Json): boolean {
    return this.#peer.send(event, content);
  }

  on(event: string, handler: LinkHandler): () => void {
    return this.#peer.on(event, handler);
  }

  ping(): Promise<number> {
    return this.#peer.ping();
  }

  onConnected(handler: (payload: LinkEvents['connected']) => void): () => void {
    return this.#peer.events.on('connected', handler);
  }

  onDisconnected(handler: (payload: LinkEvents['disconnected']) => void): () => void {
    return this.#peer.events.on('disconnected', handler);
  }

  async close(): Promise<void> {
    const side = this.#side;
    this.#side = undefined;
    this.#inUse = false;
    this.#closes++;
    // Frames sent just before close() are flushed by the outbox on a microtask: let it run.
    await Promise.resolve();
    if (side instanceof LinkConnection) side.close();
    else await side?.close();
  }

  #claim(action: string): void {
    // A connection the peer closed is over: connecting again needs no close() first.
    if (this.#side instanceof LinkConnection && this.#side.ended) {
      this.#side.close();
      this.#side = undefined;
      this.#inUse = false;
    }
    if (this.#inUse) {
      throw new StatewireError(
        'BAD_REQUEST',
        `${action}: the link is already in use; close() it first`,
      );
    }
    this.#inUse = true;
  }
}

/** Creates an unconnected link: call `bind` on one side and `connect` on the other. */
export function createLink(options?: LinkOptions): Link {
  return new StatewireLink(options);
}
