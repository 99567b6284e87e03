import { StatewireError } from '../errors/StatewireError.js';
import type { Json, QpubMsg } from '../protocol/frames.js';
import type { Timers } from './clock.js';
import { Deadlines } from './deadlines.js';
import { messageId } from './messageId.js';
import type { Unsent } from './outgoing.js';

export interface RpcOptions {
  /** How long to wait for the reply. Default: the client's `timeoutMs`. */
  timeoutMs?: number;
}

export interface RpcDeps {
  clock: Timers;
  /** Monotonic ms on the client's clock. */
  now(): number;
  timeoutMs: number;
  /**
   * The client's reply queue, registered on first use and kept across reconnects; its name at
   * once when known.
   */
  replyQueue(): string | Promise<string>;
  /** Sends a `qpub` on the publish path (kept across losses, resent with its `mid`), untimed. */
  publish(message: Unsent<QpubMsg>): Promise<unknown>;
  /** The call is over: its `quiet` request needs no answer (and no resend) any more. */
  answered(message: Unsent<QpubMsg>): void;
}

interface PendingRpc {
  correlationId: string;
  queue: string;
  timeoutMs: number;
  resolve(data: Json): void;
  reject(error: StatewireError): void;
  request?: Unsent<QpubMsg>;
  /** While its timeout runs (`Deadlines`). */
  deadline?: number;
}

/**
 * Request/reply over queues: one reply queue per client, each call matched to its reply by a
 * correlation id. A reply nobody waits for any more (timed out) is dropped.
 */
export class RpcCalls {
  readonly #pending = new Map<string, PendingRpc>();
  /** Correlation ids need only be unique among this client's calls (its own reply queue). */
  #seq = 0;
  /** One clock timer for every call's timeout, not one set and cleared per call. */
  readonly #deadlines: Deadlines<PendingRpc>;

  constructor(private readonly deps: RpcDeps) {
    this.#deadlines = new Deadlines(deps.clock, deps.now, (pending) =>
      this.#settle(
        pending.correlationId,
        new StatewireError(
          'TIMEOUT',
          `no reply from queue "${pending.queue}" within ${pending.timeoutMs} ms`,
        ),
      ),
    );
  }

  call(queue: string, data: Json, options: RpcOptions = {}): Promise<Json> {
    const timeoutMs = options.timeoutMs ?? this.deps.timeoutMs;
    const correlationId = (++this.#seq).toString(36);
    return new Promise((resolve, reject) => {
      const pending: PendingRpc = { correlationId, queue, timeoutMs, resolve, reject };
      this.#deadlines.start(pending, timeoutMs);
      this.#pending.set(correlationId, pending);
      const request = { queue, data, correlationId, timeoutMs };
      const replyTo = this.deps.replyQueue();
      // Sent synchronously when the reply queue is known: no microtask hop on the rpc path.
      if (typeof replyTo === 'string') this.#send(pending, request, replyTo);
      else {
        replyTo.then(
          (name) => this.#send(pending, request, name),
          (error: StatewireError) => this.#settle(correlationId, error),
        );
      }
    });
  }

  /** A message on the reply queue; one without a waiting call is dropped. */
  onReply(correlationId: string | undefined, data: Json): void {
    if (correlationId !== undefined) this.#settle(correlationId, undefined, data);
  }

  /** The client stopped: every waiting call rejects. */
  stop(error: StatewireError): void {
    for (const correlationId of [...this.#pending.keys()]) this.#settle(correlationId, error);
    this.#deadlines.clear();
  }

  #send(
    pending: PendingRpc,
    request: { queue: string; data: Json; correlationId: string; timeoutMs: number },
    replyTo: string,
  ): void {
    const { correlationId, timeoutMs } = request;
    if (this.#pending.get(correlationId) !== pending) return;
    // A request nobody took before the caller gave up is dropped by the server. Quiet: the
    // server answers only a failure, the reply stands in for its success.
    const message: Unsent<QpubMsg> = {
      type: 'qpub',
      queue: request.queue,
      data: request.data ?? null,
      replyTo,
      correlationId,
      expiresInMs: Math.ceil(timeoutMs),
      mid: messageId(),
      quiet: true,
    };
    pending.request = message;
    this.deps.publish(message).catch((error: StatewireError) => this.#settle(correlationId, error));
  }

  #settle(correlationId: string, error: StatewireError | undefined, data?: Json): void {
    const pending = this.#pending.get(correlationId);
    if (!pending) return;
    this.#pending.delete(correlationId);
    this.#deadlines.stop(pending);
    if (pending.request) this.deps.answered(pending.request);
    if (error) pending.reject(error);
    else pending.resolve(data as Json);
  }
}
