import { type AnyActorRef, createActor } from 'xstate';
import type { ErrorCode } from '../errors/codes.js';
import { StatewireError } from '../errors/StatewireError.js';
import {
  type QueueConsumerEvent,
  queueConsumerMachine,
  queueConsumerStateName,
} from '../machines/queueConsumer.js';
import type { Json, QmsgMsg, QpubMsg } from '../protocol/frames.js';
import type { Calls } from './calls.js';
import type { Timers } from './clock.js';
import { type ConsumerActor, ConsumerRecord } from './consumerRecord.js';
import { type DeliveryPort, runDelivery } from './delivery.js';
import { messageId } from './messageId.js';
import type { Outbox } from './outbox.js';
import type { Unsent } from './outgoing.js';
import type {
  QueueHandler,
  QueueMessageAck,
  QueueMessageOptions,
  RpcOptions,
} from './queueTypes.js';
import { RpcCalls } from './rpc.js';
import type { Signals } from './signals.js';
import { type ActorSnapshotJson, actorJson } from './snapshot.js';
import { mirrorState } from './stateMirror.js';
import { SystemScope } from './systemScope.js';
import type { ClientEvents } from './types.js';

type QueueEventName = 'deadLetter' | 'queueRenamed' | 'error';

export interface QueuesDeps {
  calls: Calls;
  /** Acks and nacks go straight out on the socket they belong to. */
  outbox: Outbox;
  clock: Timers;
  /** Monotonic ms on the client's clock (rpc timeouts). */
  now(): number;
  timeoutMs: number;
  /** Parent of the consumer actors (shared system: clock, inspection). */
  parent: AnyActorRef;
  /** Where `wake` (lazy start: open the connection) goes. */
  signals: Signals;
  emit<K extends QueueEventName>(name: K, payload: ClientEvents[K]): void;
}

/**
 * The data path of work queues, in plain code: a map from queue name to its consumer record,
 * deliveries → handler → reply → ack/nack, `queueMessage` on the publish path, and rpc over the
 * client's reply queue. Consumer actors only get lifecycle events from here.
 */
export class Queues {
  readonly #records = new Set<ConsumerRecord>();
  readonly #byName = new Map<string, ConsumerRecord>();
  readonly #byActor = new Map<string, ConsumerRecord>();
  readonly #rpc: RpcCalls;
  readonly #deliveries: DeliveryPort;
  /** Each client's queues, found by its actors' system: one `.provide()` serves every client. */
  static readonly #scope = new SystemScope<Queues>('a queue consumer');
  static readonly #logic = queueConsumerMachine.provide({
    actions: {
      requestRegister: ({ self, system, context }) => {
        const queues = Queues.#scope.of(system);
        queues.#requestRegister(queues.#byActor.get(self.id), context.queue);
      },
      requestUnregister: ({ self, system }) => {
        const queues = Queues.#scope.of(system);
        queues.#requestUnregister(queues.#byActor.get(self.id));
      },
    },
  });

  /** The rpc reply queue. */
  #reply: ConsumerRecord | undefined;
  /** Counts sockets: a delivery is settled only on the socket it came on. */
  #generation = 0;
  #seq = 0;
  #unregisterWaiters = new Set<() => void>();

  constructor(private readonly deps: QueuesDeps) {
    this.#deliveries = {
      emit: (name, payload) => deps.emit(name, payload),
      isCurrent: (record, generation) => generation === this.#generation && !record.finished,
      settle: (generation, message) => this.#settle(generation, message),
    };
    Queues.#scope.set(deps.parent.system, this);
    this.#rpc = new RpcCalls({
      clock: deps.clock,
      now: deps.now,
      timeoutMs: deps.timeoutMs,
      replyQueue: () => this.#replyQueue(),
      // Untimed: the rpc's own timer covers the request (the server answers only a failure).
      publish: (message) => deps.calls.publish(message, { timeoutMs: null }),
      answered: (message) => deps.calls.answered(message),
    });
  }

  /**
   * Registers a consumer; resolves with the queue name once the server attached it. A queue
   * this client already consumes keeps its consumer and gets the new handler (and owner).
   */
  register(queue: string, handler: QueueHandler, owner?: object): Promise<string> {
    if (typeof queue !== 'string') {
      return Promise.reject(
        new StatewireError('BAD_REQUEST', 'registerQueue: queue must be a string'),
      );
    }
    if (typeof handler !== 'function') {
      return Promise.reject(
        new StatewireError('BAD_REQUEST', 'registerQueue: handler must be a function'),
      );
    }
    let record = queue === '' ? undefined : this.#byName.get(queue);
    if (record) {
      record.handler = handler;
    } else {
      const created = this.#create(queue, (frame, generation) =>
        runDelivery(created, frame, generation, this.#deliveries),
      );
      created.handler = handler;
      record = created;
      this.deps.signals.emit('wake', undefined);
    }
    record.owner = owner;
    return this.#registered(record);
  }

  /** A handle closed: unregisters the consumers it registered last. */
  release(owner: object): Promise<void> {
    const owned = [...this.#records].filter((record) => record.owner === owner);
    return Promise.all(owned.map((record) => this.#close(record))).then(() => undefined);
  }

  /** Detaches the consumer; resolves once the server confirmed (or the socket is gone). */
  unregister(queue: string): Promise<void> {
    const record = this.#byName.get(queue);
    return record ? this.#close(record) : Promise.resolve();
  }

  #close(record: ConsumerRecord): Promise<void> {
    this.#dispatch(record, { type: 'CLOSE' });
    return record.unregistered ?? Promise.resolve();
  }

  message(queue: string, data: Json, options: QueueMessageOptions = {}): Promise<QueueMessageAck> {
    if (typeof queue !== 'string' || queue === '') {
      return Promise.reject(
        new StatewireError('BAD_REQUEST', 'queueMessage: queue must be a non-empty string'),
      );
    }
    const { replyTo, correlationId, expiresInMs, timeoutMs } = options;
    // The message id makes a resend after a reconnect harmless: the server queues it once.
    const message: Unsent<QpubMsg> = {
      type: 'qpub',
      queue,
      data: data ?? null,
      mid: messageId(),
    };
    if (replyTo !== undefined) message.replyTo = replyTo;
    if (correlationId !== undefined) message.correlationId = correlationId;
    if (expiresInMs !== undefined) message.expiresInMs = expiresInMs;
    return this.deps.calls.publish(message, { timeoutMs }) as Promise<QueueMessageAck>;
  }

  rpc(queue: string, data: Json, options?: RpcOptions): Promise<Json> {
    if (typeof queue !== 'string' || queue === '') {
      return Promise.reject(
        new StatewireError('BAD_REQUEST', 'rpc: queue must be a non-empty string'),
      );
    }
    return this.#rpc.call(queue, data, options);
  }

  /** A `qmsg`: to the consumer's code, never through its actor. */
  deliver(frame: QmsgMsg): void {
    const record = this.#byName.get(frame.queue);
    if (record && !record.finished) record.receive(frame, this.#generation);
  }

  goOnline(): void {
    for (const record of [...this.#records]) this.#dispatch(record, { type: 'ONLINE' });
  }

  goOffline(): void {
    this.#generation++;
    for (const record of [...this.#records]) this.#dispatch(record, { type: 'OFFLINE' });
    this.#settleUnregisterWaiters();
  }

  /** The client stopped: every consumer ends (failed when the client failed), rpcs reject. */
  stop(failure?: { code: ErrorCode; message: string }): void {
    this.#generation++;
    const event: QueueConsumerEvent = failure ? { type: 'FAIL', ...failure } : { type: 'CLOSE' };
    for (const record of [...this.#records]) this.#dispatch(record, event);
    this.#reply = undefined;
    this.#settleUnregisterWaiters();
    this.#rpc.stop(
      failure
        ? new StatewireError(failure.code, failure.message)
        : new StatewireError('DISCONNECTED', 'client disconnected'),
    );
  }

  actors(): Map<string, ConsumerActor> {
    return new Map([...this.#records].map((record) => [record.label, record.actor]));
  }

  snapshot(): Record<string, ActorSnapshotJson> {
    const consumers: Record<string, ActorSnapshotJson> = {};
    for (const record of this.#records) {
      consumers[record.label] = actorJson(record.actor, record.state);
    }
    return consumers;
  }

  #create(queue: string, receive: ConsumerRecord['receive']): ConsumerRecord {
    const placeholder = queue || `tmp.(pending ${++this.#seq})`;
    const actor = createActor(Queues.#logic, {
      parent: this.deps.parent,
      id: `queue:${placeholder}`,
      input: { queue },
    });
    const record = new ConsumerRecord(placeholder, actor, receive);
    this.#records.add(record);
    this.#byActor.set(actor.id, record);
    if (queue !== '') this.#byName.set(queue, record);
    actor.start();
    if (this.deps.calls.phase === 'online') this.#dispatch(record, { type: 'ONLINE' });
    return record;
  }

  #registered(record: ConsumerRecord): Promise<string> {
    if (record.state === 'active') return Promise.resolve(record.name);
    if (record.finished) return Promise.reject(this.#errorOf(record));
    return record.waiters.wait();
  }

  /** The rpc reply queue's name; registers it on first use (or after the client stopped). */
  #replyQueue(): string | Promise<string> {
    let record = this.#reply;
    if (!record || record.finished) {
      record = this.#create('', (frame, generation) => this.#onReply(frame, generation));
      this.#reply = record;
      this.deps.signals.emit('wake', undefined);
    }
    // Known from an earlier registration: requests wait in the publish buffer meanwhile.
    if (record.registeredOnce) return record.name;
    return this.#registered(record);
  }

  #onReply(frame: QmsgMsg, generation: number): void {
    // Resolved first: a next rpc made right away joins the ack in the same outgoing frame.
    this.#rpc.onReply(frame.correlationId, frame.data);
    this.#settle(generation, { type: 'qack', queue: frame.queue, deliveryId: frame.deliveryId });
  }

  /** Action of the consumer machine: `qreg` with the current name ('' for a new temporary queue). */
  #requestRegister(record: ConsumerRecord | undefined, queue: string): void {
    if (!record) return;
    const request = ++record.request;
    this.deps.calls.control({ type: 'qreg', queue }, (error, data) => {
      if (record.request !== request) return;
      if (record.finished) {
        // Unregistered while the qreg was on its way: detach what the server just attached.
        if (!error)
          this.deps.calls.control(
            { type: 'qunreg', queue: (data as { queue: string }).queue },
            () => undefined,
          );
        return;
      }
      if (error) {
        this.#dispatch(record, { type: 'REJECTED', code: error.code, message: error.message });
      } else {
        this.#dispatch(record, { type: 'REGISTERED', queue: (data as { queue: string }).queue });
      }
    });
  }

  /** Action of the consumer machine. */
  #requestUnregister(record: ConsumerRecord | undefined): void {
    if (!record || record.name === '') return;
    record.unregistered = new Promise((resolve) => {
      this.#unregisterWaiters.add(resolve);
      this.deps.calls.control({ type: 'qunreg', queue: record.name }, () => {
        this.#unregisterWaiters.delete(resolve);
        resolve();
      });
    });
  }

  /** Sends a lifecycle event to the actor and follows its public state. */
  #dispatch(record: ConsumerRecord, event: QueueConsumerEvent): void {
    if (record.finished) return;
    record.actor.send(event);
    const snapshot = record.actor.getSnapshot();
    this.#follow(record, snapshot.context.queue);
    const change = mirrorState(record, snapshot, queueConsumerStateName);
    if (!change) return;
    if (change.to === 'active') {
      record.registeredOnce = true;
      this.#settleWaiters(record);
    } else if (record.finished) {
      this.#records.delete(record);
      this.#byActor.delete(record.actor.id);
      if (this.#byName.get(record.name) === record) this.#byName.delete(record.name);
      this.#settleWaiters(record);
    }
  }

  /** Keeps the name map in step with the machine; a temporary queue replaced is reported. */
  #follow(record: ConsumerRecord, queue: string): void {
    if (queue === '' || queue === record.name) return;
    const from = record.name;
    if (this.#byName.get(from) === record) this.#byName.delete(from);
    record.name = queue;
    this.#byName.set(queue, record);
    if (from !== '') this.deps.emit('queueRenamed', { from, to: queue });
  }

  #settleWaiters(record: ConsumerRecord): void {
    if (record.waiters.size === 0) return;
    if (record.state === 'active') record.waiters.resolve(record.name);
    else record.waiters.reject(this.#errorOf(record));
  }

  #errorOf(record: ConsumerRecord): StatewireError {
    if (record.state === 'failed') {
      return new StatewireError(
        record.error?.code ?? 'UNAVAILABLE',
        record.error?.message ?? `consumer of queue "${record.label}" failed`,
      );
    }
    return new StatewireError('DISCONNECTED', `consumer of queue "${record.label}" unregistered`);
  }

  #settleUnregisterWaiters(): void {
    const waiters = [...this.#unregisterWaiters];
    this.#unregisterWaiters.clear();
    for (const resolve of waiters) resolve();
  }

  /** qack/qnack: only on the socket the delivery came on (the server forgot it otherwise). */
  #settle(generation: number, message: object): void {
    if (generation === this.#generation) this.deps.outbox.send(message);
  }
}
