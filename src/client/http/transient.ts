import type { Credentials } from '../../actors/credentials.js';
import type { FetchFunction } from '../../actors/httpFetch.js';
import { StatewireError } from '../../errors/StatewireError.js';
import type { ConnectionStateName } from '../../machines/connection.js';
import type { HistMsg, Json, PresenceMsg, PubMsg, QpubMsg, ReqMsg } from '../../protocol/frames.js';
import type { Timers } from '../clock.js';
import { CLIENT_DEFAULTS } from '../options.js';
import type { Unsent } from '../outgoing.js';
import type { QueueMessageOptions, RpcOptions } from '../queueTypes.js';
import { type HttpCall, HttpCaller } from './httpCaller.js';

const DEFAULT_MAX_RETRIES = 3;

/** An rpc in one HTTP call (`POST /v1/rpc`); over a socket it takes a temporary queue. */
export interface RpcCall {
  type: 'rpc';
  queue: string;
  data: Json;
  timeoutMs?: number;
}

/** The calls that can go over HTTP: socket messages (without id) and the HTTP rpc. */
export type TransientMessage =
  | Unsent<PubMsg>
  | Unsent<ReqMsg>
  | Unsent<HistMsg>
  | Unsent<PresenceMsg>
  | Unsent<QpubMsg>
  | RpcCall;

export interface TransientOptions {
  url: string;
  httpUrl?: string;
  fetch?: FetchFunction;
  lazy?: boolean;
  timeoutMs?: number;
  maxRetries?: number;
  random?: () => number;
}

export interface TransientDeps {
  options: TransientOptions;
  credentials: Credentials;
  clock: Timers;
  /** Epoch ms on the client's clock. */
  now(): number;
  uid(): string | undefined;
  /** The connection's state: HTTP only while no socket is open or opening. */
  state(): ConnectionStateName;
}

/**
 * The server's HTTP base: `httpUrl`, else a ws:// or wss:// `url` as http(s):// with its path
 * (a broker mounted at `/realtime` has its endpoints at `/realtime/v1/`) and without its query.
 * Undefined when there is none (another transport's URL): calls then go over the socket.
 */
export function httpBaseOf(url: string, httpUrl?: string): string | undefined {
  if (httpUrl !== undefined) return httpUrl.replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  if (parsed.protocol === 'ws:') return `http://${parsed.host}${path}`;
  if (parsed.protocol === 'wss:') return `https://${parsed.host}${path}`;
  return undefined;
}

/** The socket answer's shape: `request` and `rpc` answer `{data}` over HTTP. */
function httpCallOf(message: TransientMessage, timeoutMs: number): HttpCall & { unwrap: boolean } {
  switch (message.type) {
    case 'pub': {
      const { room, event, content, mid } = message;
      const body = { room, event, content, mid };
      return { method: 'POST', endpoint: 'publish', body, timeoutMs, unwrap: false };
    }
    case 'req': {
      const { event, content, room } = message;
      return {
        method: 'POST',
        endpoint: 'request',
        body: { event, content, room },
        timeoutMs,
        unwrap: true,
      };
    }
    case 'hist': {
      const { room, since, limit } = message;
      const query = { room, epoch: since?.epoch, offset: since?.offset, limit };
      return { method: 'GET', endpoint: 'history', query, timeoutMs, unwrap: false };
    }
    case 'presence':
      return {
        method: 'GET',
        endpoint: 'presence',
        query: { room: message.room },
        timeoutMs,
        unwrap: false,
      };
    case 'qpub': {
      const { type: _, ...body } = message;
      return { method: 'POST', endpoint: 'queue', body, timeoutMs, unwrap: false };
    }
    case 'rpc': {
      // The server waits as long as the client does: a missing reply comes back as TIMEOUT.
      const wait = Math.ceil(message.timeoutMs ?? timeoutMs);
      const body = { queue: message.queue, data: message.data, timeoutMs: wait };
      return { method: 'POST', endpoint: 'rpc', body, timeoutMs: wait, unwrap: true };
    }
  }
}

/**
 * Transient use (SPEC §6): a lazy client with no socket open or opening makes its request-style
 * calls over HTTP instead of opening one. Subscribing (or `connect()`) opens the socket; from
 * then on the same calls use it.
 */
export class Transient {
  readonly #caller: HttpCaller | undefined;

  constructor(private readonly deps: TransientDeps) {
    const { options } = deps;
    const baseUrl = httpBaseOf(options.url, options.httpUrl);
    if (baseUrl === undefined || options.lazy === false) return;
    this.#caller = new HttpCaller({
      baseUrl,
      fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
      clock: deps.clock,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      random: options.random ?? Math.random,
      credentials: deps.credentials,
      now: deps.now,
      uid: deps.uid,
    });
  }

  /** Whether a call made now goes over HTTP. */
  get active(): boolean {
    const state = this.deps.state();
    return this.#caller !== undefined && (state === 'idle' || state === 'closed');
  }

  /** Over HTTP while `active`, else `viaSocket()`. */
  route<T>(
    message: TransientMessage,
    options: { timeoutMs?: number },
    viaSocket: () => Promise<T>,
  ): Promise<T> {
    return this.active ? (this.call(message, options) as Promise<T>) : viaSocket();
  }

  /** Makes the call over HTTP; resolves with what the socket's answer would carry. */
  async call(message: TransientMessage, options: { timeoutMs?: number } = {}): Promise<unknown> {
    if (!this.#caller) {
      throw new StatewireError('UNAVAILABLE', 'no HTTP endpoint (set `httpUrl`)');
    }
    const timeoutMs = options.timeoutMs ?? this.deps.options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    const { unwrap, ...call } = httpCallOf(message, timeoutMs);
    const answer = await this.#caller.call(call);
    return unwrap ? (answer as { data?: unknown } | undefined)?.data : answer;
  }

  /** `POST /v1/queue`; resolves with `{id}` as the socket's ack does. */
  queueMessage(queue: string, data: Json, options: QueueMessageOptions = {}): Promise<unknown> {
    const { replyTo, correlationId, expiresInMs, timeoutMs } = options;
    const message = { type: 'qpub' as const, queue, data: data ?? null, replyTo, correlationId };
    return this.call({ ...message, expiresInMs }, { timeoutMs });
  }

  /** `POST /v1/rpc`: the server waits for the reply (TIMEOUT after `timeoutMs`). */
  rpc(queue: string, data: Json, options: RpcOptions = {}): Promise<unknown> {
    return this.call({ type: 'rpc', queue, data: data ?? null, timeoutMs: options.timeoutMs });
  }

  /** Rejects the calls under way with DISCONNECTED. */
  stop(): void {
    this.#caller?.stop(new StatewireError('DISCONNECTED', 'client disconnected'));
  }
}
