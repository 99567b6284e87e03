import type { TokenSource } from '../actors/credentials.js';
import type { Queues } from '../client/queues.js';
import type { QueueHandler, QueueMessageOptions, RpcOptions } from '../client/queueTypes.js';
import type {
  CallOptions,
  Client,
  ClientEvents,
  ClientHandle,
  HistoryOptions,
  MessageHandler,
  Subscription,
} from '../client/types.js';
import { StatewireError } from '../errors/StatewireError.js';
import type { Json } from '../protocol/frames.js';

export interface HandleHost {
  client: Client;
  /** Registers consumers owned by the handle, so that its `close()` can end them. */
  queues: Pick<Queues, 'register' | 'release'>;
}

/**
 * A client-shaped view of one client (SPEC §3, KalamDB's cloned client): every call goes to the
 * client's socket, auth session and subscription registry; the handle only remembers what it
 * registered (subscriptions, consumers, event handlers, pending calls) so `close()` releases
 * exactly that. Nothing is allocated until the handle registers something.
 */
class Handle implements ClientHandle {
  #closing: Promise<void> | undefined;
  #subscriptions: Set<Subscription> | undefined;
  #offs: Set<() => void> | undefined;
  #pending: Set<(error: StatewireError) => void> | undefined;

  constructor(private readonly host: HandleHost) {}

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  get state() {
    return this.host.client.state;
  }

  get isConnected() {
    return this.host.client.isConnected;
  }

  get uid() {
    return this.host.client.uid;
  }

  get actors() {
    return this.host.client.actors;
  }

  snapshot() {
    return this.host.client.snapshot();
  }

  handle(): ClientHandle {
    return this.host.client.handle();
  }

  on<K extends keyof ClientEvents>(name: K, handler: (payload: ClientEvents[K]) => void) {
    this.#assertOpen('on');
    return this.#own(this.host.client.on(name, handler));
  }

  subscribe(room: string, handler?: MessageHandler): Subscription {
    this.#assertOpen('subscribe');
    const subscription = this.host.client.subscribe(room, handler);
    this.#subscriptions ??= new Set();
    const subscriptions = this.#subscriptions;
    subscriptions.add(subscription);
    subscription.on('state', ({ to }) => {
      if (to === 'unsubscribed' || to === 'failed') subscriptions.delete(subscription);
    });
    return subscription;
  }

  onEvent(event: string, handler: MessageHandler): () => void {
    this.#assertOpen('onEvent');
    return this.#own(this.host.client.onEvent(event, handler));
  }

  onRoom(room: string, handler: MessageHandler): () => void {
    this.#assertOpen('onRoom');
    return this.#own(this.host.client.onRoom(room, handler));
  }

  onRoomEvent(room: string, event: string, handler: MessageHandler): () => void {
    this.#assertOpen('onRoomEvent');
    return this.#own(this.host.client.onRoomEvent(room, event, handler));
  }

  connect(): Promise<void> {
    return this.#track('connect', () => this.host.client.connect());
  }

  /** Same as `close()`: a handle lets go of its own registrations, never of the socket. */
  disconnect(): Promise<void> {
    return this.close();
  }

  publish(room: string, event: string, content: Json, options?: { timeoutMs?: number }) {
    return this.#track('publish', () => this.host.client.publish(room, event, content, options));
  }

  send(event: string, content: Json, options?: { room?: string }): void {
    this.#assertOpen('send');
    this.host.client.send(event, content, options);
  }

  request<T = Json>(event: string, content: Json, options?: CallOptions): Promise<T> {
    return this.#track('request', () => this.host.client.request<T>(event, content, options));
  }

  ping(): Promise<number> {
    return this.#track('ping', () => this.host.client.ping());
  }

  history(room: string, options?: HistoryOptions) {
    return this.#track('history', () => this.host.client.history(room, options));
  }

  presence(room: string): Promise<string[]> {
    return this.#track('presence', () => this.host.client.presence(room));
  }

  registerQueue(queue: string, handler: QueueHandler): Promise<string> {
    return this.#track('registerQueue', () => this.host.queues.register(queue, handler, this));
  }

  unregisterQueue(queue: string): Promise<void> {
    return this.#track('unregisterQueue', () => this.host.client.unregisterQueue(queue));
  }

  queueMessage(queue: string, data: Json, options?: QueueMessageOptions) {
    return this.#track('queueMessage', () => this.host.client.queueMessage(queue, data, options));
  }

  rpc<T = Json>(queue: string, data: Json, options?: RpcOptions): Promise<T> {
    return this.#track('rpc', () => this.host.client.rpc<T>(queue, data, options));
  }

  setToken(token: TokenSource): void {
    this.#assertOpen('setToken');
    this.host.client.setToken(token);
  }

  close(): Promise<void> {
    this.#closing ??= this.#release();
    return this.#closing;
  }

  async #release(): Promise<void> {
    for (const subscription of [...(this.#subscriptions ?? [])]) subscription.close();
    for (const off of [...(this.#offs ?? [])]) off();
    const error = new StatewireError('DISCONNECTED', 'client handle closed');
    for (const reject of [...(this.#pending ?? [])]) reject(error);
    this.#pending?.clear();
    await this.host.queues.release(this);
  }

  #assertOpen(method: string): void {
    if (this.closed) throw new StatewireError('DISCONNECTED', `${method}: client handle closed`);
  }

  #own(off: () => void): () => void {
    this.#offs ??= new Set();
    const offs = this.#offs;
    const release = () => {
      offs.delete(release);
      off();
    };
    offs.add(release);
    return release;
  }

  /** Runs a client call; `close()` rejects it (DISCONNECTED) if it is still pending then. */
  #track<T>(method: string, call: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(new StatewireError('DISCONNECTED', `${method}: client handle closed`));
    }
    this.#pending ??= new Set();
    const pending = this.#pending;
    return new Promise<T>((resolve, reject) => {
      pending.add(reject);
      const settle = () => pending.delete(reject);
      let result: Promise<T>;
      try {
        result = call();
      } catch (error) {
        settle();
        reject(error);
        return;
      }
      result.then(
        (value) => {
          settle();
          resolve(value);
        },
        (error) => {
          settle();
          reject(error);
        },
      );
    });
  }
}

export function createHandle(host: HandleHost): ClientHandle {
  return new Handle(host);
}
