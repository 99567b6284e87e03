import { type Actor, createActor } from 'xstate';
import { Credentials, type TokenSource } from '../actors/credentials.js';
import { Calls } from '../client/calls.js';
import { epochNow, monotonicNow, realTimers } from '../client/clock.js';
import { clientConnectionLogic, wireConnection } from '../client/connectionLogic.js';
import { routeServerMessage } from '../client/dataPath.js';
import { Emitter } from '../client/emitter.js';
import { Transient } from '../client/http/transient.js';
import { type ConnectionActor, Lifecycle } from '../client/lifecycle.js';
import { messageId } from '../client/messageId.js';
import { actorOptions, CLIENT_DEFAULTS, connectionInput } from '../client/options.js';
import { Outbox } from '../client/outbox.js';
import { Queues } from '../client/queues.js';
import type {
  QueueHandler,
  QueueMessageAck,
  QueueMessageOptions,
  RpcOptions,
} from '../client/queueTypes.js';
import { Rooms } from '../client/rooms.js';
import { createSignals } from '../client/signals.js';
import { type ActorSnapshotJson, actorJson, type ClientSnapshot } from '../client/snapshot.js';
import type {
  CallOptions,
  Client,
  ClientActors,
  ClientEvents,
  ClientHandle,
  ClientOptions,
  HistoryOptions,
  HistoryPage,
  Message,
  MessageHandler,
  PublishAck,
  Subscription,
} from '../client/types.js';
import { StatewireError } from '../errors/StatewireError.js';
import type { ConnectionStateName } from '../machines/connection.js';
import { subscriptionStateName, subscriptionsMachine } from '../machines/subscription.js';
import { requireDepthWithin } from '../protocol/depth.js';
import type { Json } from '../protocol/frames.js';
import { createHandle } from './handle.js';

type AuthActor = ClientActors['auth'];

/**
 * The facade. The constructor assembles the client in dependency order, each part from parts
 * built before it: the data path (calls → rooms, queues), then the connection that feeds it
 * server frames, then what follows the connection. The data path's requests back up (wake,
 * token expired, send failed) are signals, connected last.
 */
class StatewireClient implements Client {
  readonly #events = new Emitter<ClientEvents>();
  readonly #credentials: Credentials;
  readonly #outbox = new Outbox();
  readonly #calls: Calls;
  readonly #registry: Actor<typeof subscriptionsMachine>;
  readonly #rooms: Rooms;
  readonly #queues: Queues;
  readonly #connection: ConnectionActor;
  readonly #lifecycle: Lifecycle;
  readonly #auth: AuthActor;
  readonly #transient: Transient;

  constructor(options: ClientOptions) {
    if (typeof options?.url !== 'string' || options.url === '') {
      throw new StatewireError('BAD_REQUEST', 'createClient: `url` is required');
    }
    const shared = actorOptions(options);
    const clock = options.clock ?? realTimers;
    const timeoutMs = options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    const events = this.#events;
    const outbox = this.#outbox;
    const credentials = new Credentials(options.token);
    this.#credentials = credentials;
    const signals = createSignals();

    // The data path: calls over the outbox; rooms and queues over the calls.
    const now = monotonicNow(options.clock);
    const calls = new Calls({
      outbox,
      clock,
      now,
      timeoutMs,
      maxBuffered: options.maxBuffered ?? CLIENT_DEFAULTS.maxBuffered,
      signals,
      published:
        options.echo === false
          ? (message, at) => {
              if (message.mid !== undefined) rooms.published(message.room, message.mid, at);
            }
          : undefined,
    });
    const registry = createActor(subscriptionsMachine, { ...shared, id: 'subscriptions' }).start();
    const rooms = new Rooms({
      calls,
      parent: registry,
      inspected: options.inspect !== undefined,
      echo: options.echo !== false,
    });
    const queues = new Queues({
      calls,
      outbox,
      clock,
      now,
      timeoutMs,
      parent: registry,
      signals,
      emit: (name, payload) => events.emit(name, payload),
    });
    this.#calls = calls;
    this.#registry = registry;
    this.#rooms = rooms;
    this.#queues = queues;

    // The connection: its socket fills the outbox's frames and routes server frames forward.
    const connection = createActor(clientConnectionLogic, {
      ...shared,
      id: 'connection',
      input: connectionInput(options, credentials),
    });
    wireConnection(connection, {
      options,
      credentials,
      outbox,
      requestToken: (token) => calls.request({ type: 'token', token }, { retryOnExpired: false }),
      onMessage: (message) => routeServerMessage(message, { calls, rooms, queues }),
      onError: (error) => events.emit('error', error),
    });
    connection.on('error', ({ code, message, recoverable }) =>
      events.emit('error', { code, message, recoverable }),
    );
    const lifecycle = new Lifecycle({
      connection,
      outbox,
      calls,
      followers: [rooms, queues],
      events,
    });
    connection.start();
    const auth = connection.getSnapshot().children.auth as unknown as AuthActor;
    auth.on('refreshed', () => calls.onTokenRefreshed());
    auth.on('refreshFailed', ({ code, message }) => {
      calls.onTokenRefreshFailed(code, message);
      // A refusal ends the session: the connection reports it once, as it closes.
      if (code !== 'UNAUTHORIZED') events.emit('error', { code, message, recoverable: true });
    });
    this.#connection = connection;
    this.#lifecycle = lifecycle;
    this.#auth = auth;

    // HTTP for the calls of a lazy client with no socket (SPEC §6).
    this.#transient = new Transient({
      options,
      credentials,
      clock,
      now: epochNow(options.clock),
      uid: () => connection.getSnapshot().context.uid,
      state: () => lifecycle.state,
    });

    // The back-edges, now that everything they reach exists.
    signals.on('wake', () => lifecycle.wake());
    signals.on('tokenExpired', () => auth.send({ type: 'EXPIRED' }));
    signals.on('sendFailed', ({ code, message, recoverable }) =>
      events.emit('error', { code, message, recoverable }),
    );
  }

  get state(): ConnectionStateName {
    return this.#lifecycle.state;
  }

  get isConnected(): boolean {
    return this.#lifecycle.state === 'connected';
  }

  get uid(): string | undefined {
    return this.#connection.getSnapshot().context.uid;
  }

  get actors(): ClientActors {
    return {
      connection: this.#connection,
      auth: this.#auth,
      registry: this.#registry,
      subscriptions: new Map(
        [...this.#rooms.records].map(([room, record]) => [room, record.lifecycle.actor()]),
      ),
      consumers: this.#queues.actors(),
    };
  }

  on<K extends keyof ClientEvents>(name: K, handler: (payload: ClientEvents[K]) => void) {
    return this.#events.on(name, handler);
  }

  connect(): Promise<void> {
    return this.#lifecycle.connect();
  }

  async disconnect(): Promise<void> {
    this.#transient.stop();
    this.#lifecycle.disconnect();
  }

  snapshot(): ClientSnapshot {
    const subscriptions: Record<string, ActorSnapshotJson> = {};
    for (const [room, { lifecycle }] of this.#rooms.records) {
      subscriptions[room] = actorJson(lifecycle, subscriptionStateName(lifecycle.getSnapshot()));
    }
    const snapshot: ClientSnapshot = {
      state: this.#lifecycle.state,
      connection: actorJson(this.#connection, this.#lifecycle.state),
      auth: actorJson(this.#auth),
      subscriptions,
      consumers: this.#queues.snapshot(),
    };
    return JSON.parse(JSON.stringify(snapshot));
  }

  subscribe(room: string, handler?: MessageHandler): Subscription {
    if (typeof room !== 'string' || room === '') {
      throw new StatewireError('BAD_REQUEST', 'subscribe: room must be a non-empty string');
    }
    const subscription = this.#rooms.subscribe(room, handler);
    this.#lifecycle.wake();
    return subscription;
  }

  onEvent(event: string, handler: MessageHandler): () => void {
    return this.#rooms.onEvent(event, handler);
  }

  onRoom(room: string, handler: MessageHandler): () => void {
    return this.#rooms.onRoom(room, handler);
  }

  onRoomEvent(room: string, event: string, handler: MessageHandler): () => void {
    return this.#rooms.onRoomEvent(room, event, handler);
  }

  publish(
    room: string,
    event: string,
    content: Json,
    options: { timeoutMs?: number } = {},
  ): Promise<PublishAck> {
    // Not async, and no closure: this is the hot path (one promise per publish, not three).
    try {
      requireDepthWithin(content, 'content');
    } catch (error) {
      return Promise.reject(error);
    }
    // The message id makes a resend after a reconnect harmless: the server acks it again.
    const message = { type: 'pub' as const, room, event, content, mid: messageId() };
    if (this.#transient.active)
      return this.#transient.call(message, options) as Promise<PublishAck>;
    this.#rooms.publishing(room, message.mid);
    const ack = this.#calls.publish(message, options);
    return ack as Promise<PublishAck>;
  }

  send(event: string, content: Json, options: { room?: string } = {}): void {
    requireDepthWithin(content, 'content');
    if (!this.#calls.send({ type: 'send', event, content, room: options.room })) {
      throw new StatewireError('UNAVAILABLE', 'offline buffer is full (maxBuffered)');
    }
  }

  async request<T = Json>(event: string, content: Json, options: CallOptions = {}): Promise<T> {
    requireDepthWithin(content, 'content');
    const message = { type: 'req' as const, event, content, room: options.room };
    const viaSocket = () => this.#calls.request(message, { timeoutMs: options.timeoutMs });
    return (await this.#transient.route(message, options, viaSocket)) as T;
  }

  async ping(): Promise<number> {
    return (await this.#calls.request({ type: 'ping' })) as number;
  }

  async history(room: string, options: HistoryOptions = {}): Promise<HistoryPage> {
    const message = { type: 'hist' as const, room, since: options.since, limit: options.limit };
    const viaSocket = () => this.#calls.request(message);
    const page = (await this.#transient.route(message, {}, viaSocket)) as HistoryPage & {
      messages: Array<Message & { epoch?: string; type?: string }>;
    };
    return {
      epoch: page.epoch,
      offset: page.offset,
      complete: page.complete,
      messages: page.messages.map(({ room: r, event, content, offset, id, from }) =>
        from === undefined
          ? { room: r, event, content, offset, id }
          : { room: r, event, content, offset, id, from },
      ),
    };
  }

  async presence(room: string): Promise<string[]> {
    const message = { type: 'presence' as const, room };
    const viaSocket = () => this.#calls.request(message);
    const data = (await this.#transient.route(message, {}, viaSocket)) as { members: string[] };
    return data.members;
  }

  registerQueue(queue: string, handler: QueueHandler): Promise<string> {
    return this.#queues.register(queue, handler);
  }

  unregisterQueue(queue: string): Promise<void> {
    return this.#queues.unregister(queue);
  }

  async queueMessage(
    queue: string,
    data: Json,
    options?: QueueMessageOptions,
  ): Promise<QueueMessageAck> {
    requireDepthWithin(data, 'data');
    if (this.#transient.active) {
      return (await this.#transient.queueMessage(queue, data, options)) as QueueMessageAck;
    }
    return this.#queues.message(queue, data, options);
  }

  rpc<T = Json>(queue: string, data: Json, options?: RpcOptions): Promise<T> {
    // Not async: the caller's continuation runs one microtask earlier, early enough for its next
    // rpc to share a frame with the ack of this reply (see Queues.#onReply).
    try {
      requireDepthWithin(data, 'data');
    } catch (error) {
      return Promise.reject(error);
    }
    const reply = this.#transient.active
      ? this.#transient.rpc(queue, data, options)
      : this.#queues.rpc(queue, data, options);
    return reply as Promise<T>;
  }

  setToken(token: TokenSource): void {
    this.#credentials.set(token);
    this.#auth.send({ type: 'SET_TOKEN', mode: this.#credentials.mode });
  }

  handle(): ClientHandle {
    return createHandle({ client: this, queues: this.#queues });
  }
}

/** Creates a client; nothing is opened until it is needed. */
export function createClient(options: ClientOptions): Client {
  return new StatewireClient(options);
}
