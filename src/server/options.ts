import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { ActorOptions, AnyActorLogic, Observer } from 'xstate';
import type { Engine } from '../engines/Engine.js';
import { type MemoryEngineOptions, memoryEngine } from '../engines/memory/memoryEngine.js';
import type { DeadLetter } from '../engines/QueueEngine.js';
import { DEFAULT_MAX_DEPTH } from '../protocol/depth.js';

/** What a signed-in client asks to do; `target` is a room, an event name, a queue or the uid. */
export type AuthorizeAction =
  | 'connect'
  | 'subscribe'
  | 'publish'
  | 'send'
  | 'request'
  | 'history'
  | 'presence'
  | 'consume'
  | 'enqueue';

export type Authorize = (
  uid: string,
  action: AuthorizeAction,
  target: string,
) => boolean | Promise<boolean>;

export interface VerifiedToken {
  uid: string;
  /** ms since epoch; the session gets TOKEN_EXPIRED (and a grace period) at that time. */
  expiresAt?: number;
}

export interface ServerAuth {
  /** Challenge/response: the app part of the challenge; the server appends a fresh nonce. */
  challenge?: (uid: string) => string | Promise<string>;
  /** Checks the client's signature over the full challenge string it was sent. */
  verify?: (uid: string, signature: string, challenge: string) => boolean | Promise<boolean>;
  /**
   * Token auth: returns who the token belongs to, or null / throws when it is bad. Throw a
   * StatewireError('TOKEN_EXPIRED') (or return a past `expiresAt`) for an expired token.
   */
  verifyToken?: (
    token: string,
  ) => VerifiedToken | null | undefined | Promise<VerifiedToken | null | undefined>;
}

/** An XState clock (`setTimeout`/`clearTimeout`); xstate's `SimulatedClock` is one. */
export type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

export interface RateLimitOptions {
  /** Sustained rate of incoming messages per connection (a batch counts each message). */
  messagesPerSecond: number;
  /** Bucket size: messages allowed at once (default messagesPerSecond). */
  burst?: number;
  /**
   * Refused messages in a row (no second without a refusal between them) after which the
   * connection is closed 1008 RATE_LIMITED (default 2 × burst).
   */
  disconnectAfter?: number;
}

export interface ServerOptions {
  host?: string;
  /** 0 = any free port; a restarted server reuses the port it had. */
  port?: number;
  /**
   * Listen queue length. A reconnect storm opens thousands of sockets at once; SYNs past a
   * full queue are dropped and retried by the client's TCP only a second later. The kernel
   * caps it at `net.core.somaxconn`.
   * @default 4096
   */
  backlog?: number;
  /**
   * Your app's `http.Server` or `https.Server` (TLS) to share instead of listening: the broker
   * takes the requests and WebSocket upgrades under `path` and leaves every other one to your
   * listeners; `start()`/`close()` then neither listen nor close it.
   */
  server?: HttpServer | HttpsServer;
  /**
   * Listen nowhere: you hand requests and upgrades to `server.handleRequest` and
   * `server.handleUpgrade` (ws's `noServer`).
   * @default false
   */
  noServer?: boolean;
  /**
   * Where the broker lives: WebSocket upgrades at this path and the HTTP endpoints under it
   * (`<path>/v1/…`).
   * @default '/'
   */
  path?: string;
  /**
   * Time a client gets to send a request's headers, an upgrade request's too (own server only:
   * an app's `server` keeps its own `headersTimeout`).
   * @default 10000
   */
  headersTimeoutMs?: number;
  /**
   * Time a client gets to send a whole request, body included; the broker's endpoints cut a
   * slower body on any server (408), timed by `clock`.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * Idle time a keep-alive HTTP connection is kept between requests (own server only).
   * @default 5000
   */
  keepAliveTimeoutMs?: number;
  /**
   * With an app's `server`: an upgrade outside `path` that no listener of the app has answered
   * within this time is cut (timed by `clock`).
   * @default 10000
   */
  upgradeTimeoutMs?: number;
  auth?: ServerAuth;
  authorize?: Authorize;
  /** Default: a new memoryEngine() configured with `history`. */
  engine?: Engine;
  /**
   * History bounds for the default memory engine. A passed `engine` takes them in its own
   * options instead (`memoryEngine({ history })`, `redisEngine({ history })`).
   */
  history?: MemoryEngineOptions['history'];
  /**
   * Largest incoming frame in bytes; bigger closes the socket with 1009 (HTTP 413).
   * @default 1048576
   */
  maxPayload?: number;
  /**
   * Deepest nesting of a `content` / `data` value, on WebSocket and HTTP (default 64):
   * deeper is BAD_REQUEST and nothing of it is stored or forwarded.
   * @default 64
   */
  maxDepth?: number;
  /**
   * Rooms one connection may be subscribed to at once, its own uid room aside; one more is
   * FORBIDDEN.
   * @default 100000
   */
  maxSubscriptions?: number;
  /**
   * Heartbeat tick in ms; a connection silent for two ticks is closed. 0 = off.
   * @default 25000
   */
  heartbeatMs?: number;
  /** Browser origins allowed to connect; others get HTTP 403. Requests without Origin pass. */
  allowedOrigins?: string[];
  rateLimit?: RateLimitOptions;
  /**
   * Cap on a connection's unsent outgoing bytes; over → close 1013 SLOW_CONSUMER.
   * @default 8388608
   */
  maxBufferedBytes?: number;
  /**
   * Time (ms) to refresh an expired token in place before the session is closed.
   * @default 30000
   */
  tokenGraceMs?: number;
  /**
   * Time (ms) from the upgrade to `welcome`, the whole sign-in included.
   * @default 10000
   */
  handshakeTimeoutMs?: number;
  /**
   * Time (ms) a closing socket gets to finish the close handshake before it is cut.
   * @default 2000
   */
  closeTimeoutMs?: number;
  /**
   * A temporary queue whose owner has no consumer left is removed after this (ms).
   * @default 60000
   */
  tempQueueGraceMs?: number;
  /** Called with every queue item dead-lettered after its last attempt (default: nothing). */
  onDeadLetter?: (letter: DeadLetter) => void;
  /** Errors thrown by your handlers, auth and authorize callbacks (default console.error). */
  onError?: (error: unknown, where: string) => void;
  /** XState inspection observer for every session actor. */
  inspect?: Observer<unknown>;
  /**
   * Timers of every session actor (handshake and close timeouts, heartbeat, token grace);
   * default: real timers. A test can pass xstate's `SimulatedClock` and advance it.
   */
  clock?: Clock;
  /** Current time in ms since epoch, against which token expiry is checked (default Date.now). */
  now?: () => number;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  backlog: number;
  auth: ServerAuth | undefined;
  authorize: Authorize | undefined;
  engine: Engine;
  maxPayload: number;
  maxDepth: number;
  maxSubscriptions: number;
  heartbeatMs: number;
  allowedOrigins: ReadonlySet<string> | null;
  rateLimit: Required<RateLimitOptions> | null;
  maxBufferedBytes: number;
  tokenGraceMs: number;
  handshakeTimeoutMs: number;
  closeTimeoutMs: number;
  tempQueueGraceMs: number;
  onDeadLetter: ((letter: DeadLetter) => void) | undefined;
  onError: (error: unknown, where: string) => void;
  inspect: Observer<unknown> | undefined;
  clock: Clock;
  now: () => number;
}

export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  backlog: 4096,
  maxPayload: 1024 * 1024,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxSubscriptions: 100_000,
  heartbeatMs: 25_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  tokenGraceMs: 30_000,
  handshakeTimeoutMs: 10_000,
  closeTimeoutMs: 2_000,
  tempQueueGraceMs: 60_000,
} as const;

function resolveRateLimit(rate: RateLimitOptions | undefined): Required<RateLimitOptions> | null {
  if (!rate) return null;
  if (!(rate.messagesPerSecond > 0)) throw new TypeError('rateLimit.messagesPerSecond must be > 0');
  const burst = rate.burst ?? rate.messagesPerSecond;
  return {
    messagesPerSecond: rate.messagesPerSecond,
    burst,
    disconnectAfter: rate.disconnectAfter ?? 2 * burst,
  };
}

function checkAuth(auth: ServerAuth | undefined): void {
  if (!auth) return;
  if (Boolean(auth.challenge) !== Boolean(auth.verify)) {
    throw new TypeError('auth.challenge and auth.verify go together');
  }
}

function positiveInteger(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new TypeError(`${name} must be a positive integer`);
  }
  return value;
}

const realClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

export function resolveOptions(options: ServerOptions): ResolvedOptions {
  checkAuth(options.auth);
  if (options.engine && options.history) {
    throw new TypeError(
      'the history option configures the default engine only: pass the limits to your engine ' +
        'instead, e.g. memoryEngine({ history }) or redisEngine({ url, history })',
    );
  }
  const onError =
    options.onError ??
    ((error: unknown, where: string) => console.error(`[statewire] ${where}:`, error));
  return {
    host: options.host ?? SERVER_DEFAULTS.host,
    port: options.port ?? 0,
    backlog: positiveInteger(options.backlog, 'backlog') ?? SERVER_DEFAULTS.backlog,
    auth: options.auth,
    authorize: options.authorize,
    engine:
      options.engine ??
      memoryEngine({ history: options.history, clock: options.clock, now: options.now, onError }),
    maxPayload: options.maxPayload ?? SERVER_DEFAULTS.maxPayload,
    maxDepth: positiveInteger(options.maxDepth, 'maxDepth') ?? SERVER_DEFAULTS.maxDepth,
    maxSubscriptions:
      positiveInteger(options.maxSubscriptions, 'maxSubscriptions') ??
      SERVER_DEFAULTS.maxSubscriptions,
    heartbeatMs: options.heartbeatMs ?? SERVER_DEFAULTS.heartbeatMs,
    allowedOrigins: options.allowedOrigins ? new Set(options.allowedOrigins) : null,
    rateLimit: resolveRateLimit(options.rateLimit),
    maxBufferedBytes: options.maxBufferedBytes ?? SERVER_DEFAULTS.maxBufferedBytes,
    tokenGraceMs: options.tokenGraceMs ?? SERVER_DEFAULTS.tokenGraceMs,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? SERVER_DEFAULTS.handshakeTimeoutMs,
    closeTimeoutMs: options.closeTimeoutMs ?? SERVER_DEFAULTS.closeTimeoutMs,
    tempQueueGraceMs: options.tempQueueGraceMs ?? SERVER_DEFAULTS.tempQueueGraceMs,
    onDeadLetter: options.onDeadLetter,
    onError,
    inspect: options.inspect,
    clock: options.clock ?? realClock,
    now: options.now ?? Date.now,
  };
}
