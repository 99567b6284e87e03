import type { Credentials } from '../../actors/credentials.js';
import { exchange, type FetchFunction, type HttpOutcome } from '../../actors/httpFetch.js';
import { StatewireError } from '../../errors/StatewireError.js';
import { backoffDelay } from '../../machines/connectionPolicy.js';
import type { Timers } from '../clock.js';

/** One call to an endpoint under `/v1/` (docs/protocol.md §16). */
export interface HttpCall {
  method: 'GET' | 'POST';
  endpoint: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Per attempt. */
  timeoutMs: number;
}

export interface HttpCallerDeps {
  /** `http(s)://host:port`, without a trailing slash. */
  baseUrl: string;
  fetch: FetchFunction;
  clock: Timers;
  /** Retries of a GET after a network error, a timeout or 502/503/504. */
  maxRetries: number;
  /** Jitter source in [0, 1). */
  random(): number;
  credentials: Credentials;
  /** Epoch ms on the client's clock (reads a token's `expiresAt`). */
  now(): number;
  /** Stated as `X-Statewire-Uid` when there is no token. */
  uid(): string | undefined;
}

/** Backoff between retries of a read: full jitter in [0, min(5 s, 200 ms · 2^retry)]. */
const RETRY_BACKOFF = { minDelayMs: 200, maxDelayMs: 5000, maxAttempts: Number.POSITIVE_INFINITY };
const RETRY_STATUSES = new Set([502, 503, 504]);

/** A call under way: `stop` sets `error` and cancels what it is waiting for. */
interface Running {
  error?: StatewireError;
  cancel?: () => void;
}

/**
 * Every step starts with this: stop() cancels only what a call is waiting for, so a stop that
 * came between two steps is seen here (no fetch is sent after a disconnect).
 */
function throwIfStopped(running: Running): void {
  if (running.error) throw running.error;
}

function tokenFailure(error: unknown): StatewireError {
  if (error instanceof StatewireError) return error;
  const message = (error as Error)?.message ?? String(error);
  return new StatewireError('UNAVAILABLE', `token function failed: ${message}`, { cause: error });
}

/**
 * Transient calls over HTTP (SPEC §6): every attempt has its own timeout on the client's clock;
 * idempotent reads (GET) are retried with backoff on network errors, timeouts and 502/503/504;
 * TOKEN_EXPIRED gets one token refresh and one retry, whatever the method.
 */
export class HttpCaller {
  readonly #running = new Set<Running>();
  #refreshing: Promise<void> | undefined;

  constructor(private readonly deps: HttpCallerDeps) {}

  async call(call: HttpCall): Promise<unknown> {
    const running: Running = {};
    this.#running.add(running);
    try {
      return await this.#run(call, running);
    } finally {
      this.#running.delete(running);
    }
  }

  /** Rejects every call under way with `error` (client disconnect). */
  stop(error: StatewireError): void {
    for (const running of this.#running) {
      running.error ??= error;
      running.cancel?.();
    }
  }

  async #run(call: HttpCall, running: Running): Promise<unknown> {
    let refreshed = false;
    let retries = 0;
    for (;;) {
      const token = await this.#token(running);
      const outcome = await this.#attempt(call, token, running);
      if (outcome.kind === 'answered') return outcome.data;
      const error = outcome.kind === 'aborted' ? this.#timeoutError(call) : outcome.error;
      if (
        error.code === 'TOKEN_EXPIRED' &&
        !refreshed &&
        this.deps.credentials.mode === 'function'
      ) {
        refreshed = true;
        // Another call may have refreshed meanwhile: then its token is tried as is.
        if (this.deps.credentials.token === token) await this.#refreshToken(running);
        continue;
      }
      const retryable =
        call.method === 'GET' && (outcome.kind !== 'refused' || RETRY_STATUSES.has(outcome.status));
      if (!retryable || retries >= this.deps.maxRetries) throw error;
      await this.#pause(backoffDelay(retries, RETRY_BACKOFF, this.deps.random), running);
      retries++;
    }
  }

  #timeoutError(call: HttpCall): StatewireError {
    return new StatewireError(
      'TIMEOUT',
      `no answer to ${call.method} /v1/${call.endpoint} within ${call.timeoutMs} ms`,
    );
  }

  async #token(running: Running): Promise<string | undefined> {
    throwIfStopped(running);
    const { credentials } = this.deps;
    if (credentials.mode === 'function' && credentials.token === undefined) {
      await this.#refreshToken(running);
    }
    return credentials.token;
  }

  /** Calls the token function once for every call waiting on it. */
  async #refreshToken(running: Running): Promise<void> {
    throwIfStopped(running);
    this.#refreshing ??= this.deps.credentials
      .fetch(this.deps.now)
      .then(
        () => undefined,
        (error) => Promise.reject(tokenFailure(error)),
      )
      .finally(() => {
        this.#refreshing = undefined;
      });
    const refreshing = this.#refreshing;
    // stop() does not wait for the token function.
    await new Promise<void>((resolve, reject) => {
      running.cancel = () => reject(running.error);
      refreshing.then(resolve, reject);
    }).finally(() => {
      running.cancel = undefined;
    });
  }

  #headers(call: HttpCall, token: string | undefined): Record<string, string> {
    const headers: Record<string, string> = {};
    if (call.method === 'POST') headers['content-type'] = 'application/json';
    if (token !== undefined) {
      headers.authorization = `Bearer ${token}`;
    } else {
      const uid = this.deps.uid();
      if (uid !== undefined) headers['x-statewire-uid'] = uid;
    }
    return headers;
  }

  #url(call: HttpCall): string {
    const url = `${this.deps.baseUrl}/v1/${call.endpoint}`;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) query.set(key, String(value));
    }
    const search = query.toString();
    return search === '' ? url : `${url}?${search}`;
  }

  async #attempt(
    call: HttpCall,
    token: string | undefined,
    running: Running,
  ): Promise<HttpOutcome> {
    throwIfStopped(running);
    const { clock, fetch } = this.deps;
    const controller = new AbortController();
    const timer = clock.setTimeout(() => controller.abort(), call.timeoutMs);
    running.cancel = () => controller.abort();
    try {
      const outcome = await exchange(fetch, {
        method: call.method,
        url: this.#url(call),
        headers: this.#headers(call, token),
        body: call.method === 'POST' ? JSON.stringify(call.body) : undefined,
        signal: controller.signal,
      });
      if (running.error) throw running.error;
      return outcome;
    } finally {
      clock.clearTimeout(timer);
      running.cancel = undefined;
    }
  }

  #pause(ms: number, running: Running): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      throwIfStopped(running);
      const done = () => {
        running.cancel = undefined;
        if (running.error) reject(running.error);
        else resolve();
      };
      const timer = this.deps.clock.setTimeout(done, ms);
      running.cancel = () => {
        this.deps.clock.clearTimeout(timer);
        done();
      };
    });
  }
}
