import { nanoid } from 'nanoid';
import { type Actor, createActor } from 'xstate';
import { Credentials, type TokenSource } from '../actors/credentials.js';
import { Calls } from '../client/calls.js';
import { epochNow, monotonicNow, realTimers } from '../client/clock.js';
import { connectionLogic } from '../client/connectionLogic.js';
import { type ConnectionFollower, phaseOf, routeServerMessage } from '../client/dataPath.js';
import { Emitter } from '../client/emitter.js';
import { Transient } from '../client/http/transient.js';
import { emitLifecycle } from '../client/lifecycleEvents.js';
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
import { Waiters } from '../client/waiters.js';
import { StatewireError } from '../errors/StatewireError.js';
import {
  type ConnectionContext,
  type ConnectionStateName,
  type connectionMachine,
  connectionStateName,
} from '../machines/connection.js';
import {
  subscriptionMachine,
  subscriptionStateName,
  subscriptionsMachine,
} from '../machines/subscription.js';
import { requireDepthWithin } from '../protocol/depth.js';
import type { Json } from '../protocol/frames.js';
import { createHandle } from './handle.js';

type ConnectionActor = Actor<typeof connectionMachine>;
type AuthActor = ClientActors['auth'];
type SubscriptionActor = Actor<typeof subscriptionMachine>;

class StatewireClient implements Client {
  readonly #emitter = new Emitter<ClientEvents>();
  readonly #credentials: Credentials;
  readonly #outbox = new Outbox();
  readonly #calls: Calls;
  readonly #transient: Transient;
  readonly #rooms: Rooms;
  readonly #queues: Queues;
  /** Told of every phase change, in this order. */
  readonly #followers: readonly ConnectionFollower[];
  readonly #connection: ConnectionActor;
  readonly #auth: AuthActor;
  readonly #registry: Actor<typeof subscriptionsMachine>;
  #state: ConnectionStateName = 'idle';
  readonly #connectWaiters = new Waiters();

  constructor(options: ClientOptions) {
    if (typeof options?.url !== 'string' || options.url === '') {
      throw new StatewireError('BAD_REQUEST', 'createClient: `url` is required');
    }
    const shared = actorOptions(options);
    const now = monotonicNow(options.clock);
    this.#credentials = new Credentials(options.token);

    this.#calls = new Calls({
      outbox: this.#outbox,
      clock: options.clock ?? realTimers,
      now,
      timeoutMs: options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
      maxBuffered: options.maxBuffered ?? CLIENT_DEFAULTS.maxBuffered,
      wake: () => this.#wake(),
      refreshToken: () => this.#auth.send({ type: 'EXPIRED' }),
      reportSendFailure: ({ code, message, recoverable }) =>
        this.#emitter.emit('error', { code, message, recoverable }),
    });

    this.#transient = new Transient({
      options,
      credentials: this.#credentials,
      clock: options.clock ?? realTimers,
      now: epochNow(options.clock),
      uid: () => this.uid,
      state: () => this.#state,
    });

    this.#registry = createActor(subscriptionsMachine, { ...shared, id: 'subscriptions' }).start();
    this.#queues = new Queues({
      calls: this.#calls,
      outbox: this.#outbox,
      clock: options.clock ?? realTimers,
      timeoutMs: options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
      parent: this.#registry,
      wake: () => this.#wake(),
      emit: (name, payload) => this.#emitter.emit(name, payload),
    });
    const subscriptionLogic = subscriptionMachine.provide({
      actions: {
        requestSubscribe: ({ context }) => this.#rooms.requestSubscribe(context.room),
        requestUnsubscribe: ({ context }) => this.#rooms.requestUnsubscribe(context.room),
      },
    });
    this.#rooms = new Rooms({
      calls: this.#calls,
      createActor: (room) => {
        // Not spawnChild: it copies the parent's children map each time (O(N²) for 10k rooms).
        return createActor(subscriptionLogic, {
          parent: this.#registry,
          id: room,
          input: { room },
        }).start();
      },
    });

    this.#followers = [this.#rooms, this.#queues];
    const dataPath = { calls: this.#calls, rooms: this.#rooms, queues: this.#queues };

    const logic = connectionLogic({
      options,
      credentials: this.#credentials,
      outbox: this.#outbox,
      requestToken: (token) =>
        this.#calls.request({ type: 'token', token }, { retryOnExpired: false }),
      onMessage: (message) => routeServerMessage(message, dataPath),
      onError: (error) => this.#emitter.emit('error', error),
    });

    this.#connection = createActor(logic, {
      ...shared,
      id: 'connection',
      input: connectionInput(options, this.#credentials),
    });
    this.#connection.on('error', ({ code, message, recoverable }) =>
      this.#emitter.emit('error', { code, message, recoverable }),
    );
    this.#connection.subscribe((snapshot) => this.#onConnection(snapshot));
    this.#connection.start();
    this.#auth = this.#connection.getSnapshot().children.auth as unknown as AuthActor;
    this.#auth.on('refreshed', () => this.#calls.onTokenRefreshed());
    this.#auth.on('refreshFailed', ({ code, message }) => {
      this.#calls.onTokenRefreshFailed(code, message);
      // A refusal ends the session: the connection reports it once, as it closes.
      if (code !== 'UNAUTHORIZED')
        this.#emitter.emit('error', { code, message, recoverable: true });
    });
  }

  get state(): ConnectionStateName {
    return this.#state;
  }

  get isConnected(): boolean {
    return this.#state === 'connected';
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
        [...this.#rooms.records].map(([room, record]) => [room, record.actor as SubscriptionActor]),
      ),
      consumers: this.#queues.actors(),
    };
  }

  on<K extends keyof ClientEvents>(name: K, handler: (payload: ClientEvents[K]) => void) {
    return this.#emitter.on(name, handler);
  }

  connect(): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    const signedIn = this.#connectWaiters.wait();
    if (this.#state === 'idle' || this.#state === 'closed' || this.#state === 'reconnecting') {
      this.#connection.send({ type: 'CONNECT' });
    }
    return signedIn;
  }

  async disconnect(): Promise<void> {
    this.#transient.stop();
    if (this.#state === 'idle' || this.#state === 'closed') {
      this.#stopped(undefined);
      return;
    }
    this.#connection.send({ type: 'DISCONNECT' });
  }

  snapshot(): ClientSnapshot {
    const subscriptions: Record<string, ActorSnapshotJson> = {};
    for (const [room, { actor }] of this.#rooms.records) {
      subscriptions[room] = actorJson(actor, subscriptionStateName(actor.getSnapshot()));
    }
    const snapshot: ClientSnapshot = {
      state: this.#state,
      connection: actorJson(this.#connection, this.#state),
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
    this.#wake();
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

  async publish(
    room: string,
    event: string,
    content: Json,
    options: { timeoutMs?: number } = {},
  ): Promise<PublishAck> {
    requireDepthWithin(content, 'content');
    // The message id makes a resend after a reconnect harmless: the server acks it again.
    const message = { type: 'pub' as const, room, event, content, mid: nanoid() };
    const viaSocket = () => this.#calls.publish(message, options);
    return (await this.#transient.route(message, options, viaSocket)) as PublishAck;
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

  /** Opens the connection on first use (lazy). */
  #wake(): void {
    if (this.#state === 'idle' || this.#state === 'closed') {
      this.#connection.send({ type: 'CONNECT' });
    }
  }

  #onConnection(snapshot: ReturnType<ConnectionActor['getSnapshot']>): void {
    const to = connectionStateName(snapshot);
    const from = this.#state;
    if (to === from) return;
    this.#state = to;
    const context = snapshot.context;

    // Data path first, so that handlers of the events below see a consistent client.
    const phase = phaseOf(to, context);
    if (phase === 'online') {
      this.#outbox.maxFrameBytes = context.maxPayload ?? this.#outbox.maxFrameBytes;
      this.#calls.setPhase('online');
      for (const follower of this.#followers) follower.goOnline();
      this.#calls.flush();
      this.#connectWaiters.resolve();
    } else if (phase === 'stopped') {
      this.#stopped(context.failure);
    } else {
      this.#calls.setPhase(phase);
      if (from === 'connected') for (const follower of this.#followers) follower.goOffline();
    }

    emitLifecycle(this.#emitter, from, to, context);
  }

  /** Idle or closed: nothing may stay pending. */
  #stopped(failure: ConnectionContext['failure']): void {
    const error = failure
      ? new StatewireError(failure.code, failure.message)
      : new StatewireError('DISCONNECTED', 'client disconnected');
    this.#calls.setPhase('stopped', error);
    const stopFailure = failure ? { code: failure.code, message: failure.message } : undefined;
    for (const follower of this.#followers) follower.stop(stopFailure);
    this.#connectWaiters.reject(error);
  }
}

/** Creates a client; nothing is opened until it is needed. */
export function createClient(options: ClientOptions): Client {
  return new StatewireClient(options);
}
