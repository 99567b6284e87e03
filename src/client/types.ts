import type { Actor, InspectionEvent, Observer } from 'xstate';
import type { ChallengeSigner, TokenSource } from '../actors/credentials.js';
import type { FetchFunction } from '../actors/httpFetch.js';
import type { NetworkEventTarget } from '../actors/network.js';
import type { Transport } from '../actors/transport.js';
import type { ErrorCode } from '../errors/codes.js';
import type { authMachine } from '../machines/auth.js';
import type {
  ConnectionStateName,
  connectionMachine,
  ReconnectPolicy,
} from '../machines/connection.js';
import type { queueConsumerMachine } from '../machines/queueConsumer.js';
import type {
  SubscriptionState,
  subscriptionMachine,
  subscriptionsMachine,
} from '../machines/subscription.js';
import type { Json, StreamPosition } from '../protocol/frames.js';
import type { ClientClock } from './clock.js';
import type {
  DeadLetterEvent,
  QueueHandler,
  QueueMessageAck,
  QueueMessageOptions,
  QueueRenamedEvent,
  RpcOptions,
} from './queueTypes.js';
import type { ClientSnapshot } from './snapshot.js';

export interface RecoveryInfo {
  /** True when every message missed while away was replayed. */
  recovered: boolean;
  missed: number;
}

export interface PresenceEvent {
  room: string;
  uid: string;
  action: 'join' | 'leave';
}

export interface SubscriptionEvents {
  message: Message;
  recovered: RecoveryInfo;
  state: { from: SubscriptionState; to: SubscriptionState };
  presence: PresenceEvent;
}

/**
 * A user's handle on a room (`client.subscribe`). Several handles on one room share one server
 * subscription; each has its own handlers and its own `close()`.
 */
export interface Subscription {
  readonly room: string;
  readonly state: SubscriptionState;
  /** Resolves once subscribed; rejects when the subscription fails or is closed first. */
  ready(): Promise<void>;
  on<K extends keyof SubscriptionEvents>(
    name: K,
    handler: (payload: SubscriptionEvents[K]) => void,
  ): () => void;
  /** Stops this handle; the server subscription ends with the last handle of the room. */
  close(): void;
}

/** A room message as handlers receive it. */
export interface Message {
  room: string;
  event: string;
  content: Json;
  offset: number;
  id: string;
  /** The publisher's uid, where known. */
  from?: string;
}

export type MessageHandler = (message: Message) => void;

export interface ClientOptions {
  /** WebSocket URL of the server (ws:// or wss://). */
  url: string;
  /** HTTP base for transient calls; derived from `url` when absent. */
  httpUrl?: string;
  uid?: string;
  /** A token, or a function returning one (or `{token, expiresAt}`), called on every connect. */
  token?: TokenSource;
  /** Signs the server's challenge (challenge/response auth, with `uid`). */
  onChallenge?: ChallengeSigner;
  /**
   * Backoff with full jitter, reset after a success; `false`: never reconnect.
   * @default { minDelayMs: 500, maxDelayMs: 20000, maxAttempts: Infinity }
   */
  reconnect?: Partial<ReconnectPolicy> | false;
  /**
   * The socket opens on the first subscribe / registerQueue / connect; calls before that go
   * over HTTP.
   * @default true
   */
  lazy?: boolean;
  /**
   * Per call and per connect/handshake step, in ms.
   * @default 30000
   */
  timeoutMs?: number;
  /** Default: ping at the server's heartbeat interval, a pong missing that long = lost. */
  heartbeat?: { intervalMs: number; timeoutMs?: number } | false;
  /** Any XState inspection observer, given to every actor of the client. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Drives every delay (XState's SimulatedClock in tests). */
  clock?: ClientClock;
  transport?: Transport;
  /**
   * Publishes and sends kept while offline; one more throws UNAVAILABLE.
   * @default 1000
   */
  maxBuffered?: number;
  /**
   * Refresh a token this long (ms) before its `expiresAt`.
   * @default 5000
   */
  refreshLeadMs?: number;
  /**
   * Keep retrying when the very first connect fails instead of rejecting `connect()`.
   * @default false
   */
  waitOnFirstConnect?: boolean;
  /**
   * `false`: this client's own publishes are not delivered back to it (nats' `noEcho`); they
   * are still acked, and every other message of its rooms (other clients', `server.publish`,
   * HTTP publishes) reaches it as usual, recovery included.
   * @default true
   */
  echo?: boolean;
  /** Jitter source for the reconnect backoff, in [0, 1). Default Math.random. */
  random?: () => number;
  /**
   * Retries of idempotent HTTP reads (transient calls).
   * @default 3
   */
  maxRetries?: number;
  /** `fetch` for transient calls over HTTP (SPEC §6). Default: the global `fetch`. */
  fetch?: FetchFunction;
  /**
   * Browser network awareness (SPEC §3): `offline` drops the connection at once, `online` ends
   * a backoff wait, `pagehide`/`pageshow` of the back/forward cache close and reconnect.
   * Default: `window` where there is one; `null`: listen to nothing.
   */
  networkEventTarget?: NetworkEventTarget | null;
}

export interface ClientEvents {
  connecting: { attempt: number };
  /** The socket is open (the handshake follows). */
  connected: Record<string, never>;
  signedIn: { uid: string; session: string };
  disconnected: { reason: string; code?: number; willReconnect: boolean };
  error: { code: ErrorCode; message: string; recoverable: boolean };
  state: { from: ConnectionStateName; to: ConnectionStateName };
  /** A queue delivery failed on its last attempt; the server dead-letters it. */
  deadLetter: DeadLetterEvent;
  /** A temporary queue expired while offline and was replaced (the rpc reply queue follows). */
  queueRenamed: QueueRenamedEvent;
}

export interface PublishAck {
  offset: number;
  epoch: string;
  id: string;
}

export interface HistoryPage {
  epoch: string;
  offset: number;
  messages: Message[];
  /** False when the requested range could not be served in full (trimmed or other epoch). */
  complete: boolean;
}

export interface HistoryOptions {
  since?: StreamPosition;
  limit?: number;
}

export interface CallOptions {
  room?: string;
  timeoutMs?: number;
}

export interface ClientActors {
  connection: Actor<typeof connectionMachine>;
  /** Child of `connection` (systemId `auth`). */
  auth: Actor<typeof authMachine>;
  /** Parent of the subscription actors (their shared system: clock, inspection). */
  registry: Actor<typeof subscriptionsMachine>;
  /** The actor of every live room subscription, by room (made on first read where needed). */
  subscriptions: ReadonlyMap<string, Actor<typeof subscriptionMachine>>;
  /** The actor of every queue consumer (the rpc reply queue included), by queue name. */
  consumers: ReadonlyMap<string, Actor<typeof queueConsumerMachine>>;
}

/** The statewire client: see SPEC §3–§5. */
export interface Client {
  readonly state: ConnectionStateName;
  readonly isConnected: boolean;
  /** The signed-in uid (assigned by the server when none was given). */
  readonly uid: string | undefined;
  readonly actors: ClientActors;
  on<K extends keyof ClientEvents>(
    name: K,
    handler: (payload: ClientEvents[K]) => void,
  ): () => void;
  /**
   * Opens the socket and resolves once signed in.
   * @throws StatewireError when the first attempt fails (unreachable, auth refused), unless
   * `waitOnFirstConnect`; DISCONNECTED when `disconnect()` comes first.
   */
  connect(): Promise<void>;
  /** Stops reconnecting, rejects every pending call with DISCONNECTED, closes everything. */
  disconnect(): Promise<void>;
  snapshot(): ClientSnapshot;
  subscribe(room: string, handler?: MessageHandler): Subscription;
  onEvent(event: string, handler: MessageHandler): () => void;
  onRoom(room: string, handler: MessageHandler): () => void;
  onRoomEvent(room: string, event: string, handler: MessageHandler): () => void;
  /**
   * Resolves on the server's ack; buffered while offline and resent with the same message id.
   * @throws StatewireError FORBIDDEN without a subscription to `room`, BAD_REQUEST for
   * content nested deeper than 64 levels, TIMEOUT, DISCONNECTED.
   */
  publish(
    room: string,
    event: string,
    content: Json,
    options?: { timeoutMs?: number },
  ): Promise<PublishAck>;
  /**
   * Fire and forget to the server's handlers.
   * @throws StatewireError UNAVAILABLE when the offline buffer is full, BAD_REQUEST for
   * content nested too deep.
   */
  send(event: string, content: Json, options?: { room?: string }): void;
  /**
   * The reply of the server's handler for `event`.
   * @throws StatewireError NOT_FOUND without a handler, FORBIDDEN, TIMEOUT, DISCONNECTED.
   */
  request<T = Json>(event: string, content: Json, options?: CallOptions): Promise<T>;
  ping(): Promise<number>;
  history(room: string, options?: HistoryOptions): Promise<HistoryPage>;
  presence(room: string): Promise<string[]>;
  /** Consumes `queue` ('' = a new temporary queue); resolves with the queue name. */
  registerQueue(queue: string, handler: QueueHandler): Promise<string>;
  unregisterQueue(queue: string): Promise<void>;
  queueMessage(queue: string, data: Json, options?: QueueMessageOptions): Promise<QueueMessageAck>;
  /**
   * Sends `data` to `queue` and resolves with the consumer's reply.
   * @throws StatewireError TIMEOUT when no reply comes in time, NOT_FOUND for an unknown
   * queue, UNAVAILABLE when it is full.
   */
  rpc<T = Json>(queue: string, data: Json, options?: RpcOptions): Promise<T>;
  setToken(token: TokenSource): void;
  /**
   * A client-shaped handle over this client's socket, auth session and subscription registry
   * (SPEC §3); its `close()` releases only what it registered.
   */
  handle(): ClientHandle;
}

/**
 * A handle on a client (`client.handle()`): the client's API over the same socket. `close()`
 * (also `disconnect()`) ends the subscriptions, queue consumers and event handlers this handle
 * registered and rejects its pending calls with `DISCONNECTED`; the socket and session stay.
 * `client.disconnect()` ends the socket and everything every handle registered (the handles'
 * event handlers stay, as the client's do). A closed handle refuses further use.
 */
export interface ClientHandle extends Client {
  readonly closed: boolean;
  /** Resolves once the consumers this handle registered are detached. */
  close(): Promise<void>;
}
