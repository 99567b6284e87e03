import { StatewireError } from '../../errors/StatewireError.js';
import { DeadLetterListeners } from '../deadLetters.js';
import type { Unsubscribe } from '../Engine.js';
import { entryBytes } from '../entryBytes.js';
import type {
  DeadLetter,
  EngineDelivery,
  QueueEngine,
  QueueItemInput,
  QueueLimits,
  QueueOptions,
} from '../QueueEngine.js';
import { IdWindow } from './idWindow.js';

export interface MemoryQueuesOptions extends QueueLimits {
  /** Recent message ids each queue remembers to accept a resend once (default 10,000). */
  dedupeWindow?: number;
  now?: () => number;
}

interface Item extends QueueItemInput {
  attempt: number;
  bytes: number;
  /** Engine time after which it is dropped instead of delivered. */
  expiresAt?: number;
}

interface Consumer {
  id: string;
  deliver: (delivery: EngineDelivery) => void;
  held: number;
}

interface Unacked {
  item: Item;
  consumer: Consumer;
  deliveredAt: number;
}

interface QueueState {
  owner: string | null;
  ready: Item[];
  consumers: Consumer[];
  nextConsumer: number;
  unacked: Map<string, Unacked>;
  seenIds: IdWindow<true>;
  /** Bytes of the items held (ready + unacked). */
  bytes: number;
  /** 0 = kept; else removed once without a consumer for this long. */
  idleTtlMs: number;
  /** Engine time its last consumer left (null while consumed). */
  idleSince: number | null;
}

const MAX_SWEEP_INTERVAL_MS = 1000;
/** Each queue has a window of its own: its ids are kept under one key. */
const IDS = '';

/** In-process queues: round robin over consumers, bounded prefetch, redelivery on loss. */
export class MemoryQueues implements QueueEngine {
  private readonly queues = new Map<string, QueueState>();
  /** Names deliveries: a settle is checked against the consumer too, so a count will do. */
  private deliveries = 0;
  private readonly maxLength: number;
  private readonly maxBytes: number;
  private readonly maxQueues: number;
  private readonly dedupeWindow: number;
  private readonly prefetch: number;
  private readonly ackTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly deadLetters = new DeadLetterListeners();
  private readonly now: () => number;
  /** How often the owner should call `expireUnacked` (a fraction of the ack timeout). */
  readonly sweepIntervalMs: number;

  constructor(options: MemoryQueuesOptions = {}) {
    this.maxLength = options.maxLength ?? 10_000;
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.maxQueues = options.maxQueues ?? 10_000;
    this.dedupeWindow = options.dedupeWindow ?? 10_000;
    this.prefetch = options.prefetch ?? 64;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = Math.max(1, Math.min(MAX_SWEEP_INTERVAL_MS, this.ackTimeoutMs / 4));
  }

  async declare(queue: string, options: QueueOptions = {}): Promise<void> {
    if (this.queues.has(queue)) return;
    if (this.queues.size >= this.maxQueues) this.forgetIdleQueues();
    if (this.queues.size >= this.maxQueues) {
      throw new StatewireError('UNAVAILABLE', `too many queues (${this.maxQueues})`);
    }
    this.queues.set(queue, {
      owner: options.owner ?? null,
      ready: [],
      consumers: [],
      nextConsumer: 0,
      unacked: new Map(),
      seenIds: new IdWindow(this.dedupeWindow),
      bytes: 0,
      idleTtlMs: options.idleTtlMs ?? 0,
      idleSince: this.now(),
    });
  }

  async describe(queue: string) {
    const state = this.queues.get(queue);
    if (!state) return undefined;
    return {
      owner: state.owner,
      length: state.ready.length + state.unacked.size,
      consumers: state.consumers.length,
    };
  }

  async remove(queue: string): Promise<void> {
    this.queues.delete(queue);
  }

  async enqueue(queue: string, input: QueueItemInput): Promise<void> {
    const state = this.require(queue);
    const remembered = input.fresh !== true;
    if (remembered && state.seenIds.get(IDS, input.id)) return;
    const bytes = entryBytes(input.data, input.id, input.replyTo, input.correlationId);
    if (
      state.ready.length + state.unacked.size >= this.maxLength ||
      state.bytes + bytes > this.maxBytes
    ) {
      throw new StatewireError('UNAVAILABLE', `queue ${queue} is full`);
    }
    if (remembered) state.seenIds.add(IDS, input.id, true);
    state.bytes += bytes;
    const { expiresInMs } = input;
    const expiresAt = expiresInMs === undefined ? undefined : this.now() + expiresInMs;
    // Spelled out: one object shape for every item (a spread here costs µs per message).
    state.ready.push({
      id: input.id,
      data: input.data,
      replyTo: input.replyTo,
      correlationId: input.correlationId,
      attempt: 0,
      bytes,
      expiresAt,
    });
    this.dispatch(queue, state);
  }

  async consume(
    queue: string,
    consumerId: string,
    deliver: (delivery: EngineDelivery) => void,
  ): Promise<Unsubscribe> {
    const state = this.require(queue);
    const consumer: Consumer = { id: consumerId, deliver, held: 0 };
    state.consumers.push(consumer);
    state.idleSince = null;
    this.dispatch(queue, state);
    return async () => {
      const index = state.consumers.indexOf(consumer);
      if (index === -1) return;
      state.consumers.splice(index, 1);
      if (state.consumers.length === 0) state.idleSince = this.now();
      const returned: Item[] = [];
      for (const [deliveryId, entry] of state.unacked) {
        if (entry.consumer !== consumer) continue;
        state.unacked.delete(deliveryId);
        returned.push(entry.item);
      }
      this.requeue(queue, state, returned, 'consumer lost');
    };
  }

  async ack(queue: string, deliveryId: string, consumerId: string): Promise<void> {
    const state = this.require(queue);
    const entry = this.takeUnacked(state, deliveryId, consumerId);
    entry.consumer.held -= 1;
    state.bytes -= entry.item.bytes;
    this.dispatch(queue, state);
  }

  async nack(queue: string, deliveryId: string, consumerId: string, reason = 'nacked') {
    const state = this.require(queue);
    const entry = this.takeUnacked(state, deliveryId, consumerId);
    entry.consumer.held -= 1;
    this.requeue(queue, state, [entry.item], reason);
  }

  onDeadLetter(listener: (letter: DeadLetter) => void): () => void {
    return this.deadLetters.add(listener);
  }

  /** Returns deliveries unacked for longer than the ack timeout; call it every `sweepIntervalMs`. */
  expireUnacked(): void {
    const deadline = this.now() - this.ackTimeoutMs;
    for (const [queue, state] of this.queues) {
      const late: Item[] = [];
      for (const [deliveryId, entry] of state.unacked) {
        if (entry.deliveredAt > deadline) continue;
        state.unacked.delete(deliveryId);
        entry.consumer.held -= 1;
        late.push(entry.item);
      }
      if (late.length > 0) this.requeue(queue, state, late, 'ack timeout');
    }
  }

  /** Removes queues declared with an idle ttl that have had no consumer for that long. */
  expireIdle(): void {
    const now = this.now();
    for (const [queue, state] of this.queues) {
      const { idleTtlMs, idleSince } = state;
      if (idleTtlMs > 0 && idleSince !== null && now - idleSince >= idleTtlMs) {
        this.queues.delete(queue);
      }
    }
  }

  private require(queue: string): QueueState {
    const state = this.queues.get(queue);
    if (!state) throw new StatewireError('NOT_FOUND', `unknown queue ${queue}`);
    return state;
  }

  private takeUnacked(state: QueueState, deliveryId: string, consumerId: string): Unacked {
    const entry = state.unacked.get(deliveryId);
    if (!entry || entry.consumer.id !== consumerId) {
      throw new StatewireError('NOT_FOUND', `unknown delivery ${deliveryId}`);
    }
    state.unacked.delete(deliveryId);
    return entry;
  }

  /** Puts items back at the head (they were first in line), dead-lettering exhausted ones. */
  private requeue(queue: string, state: QueueState, items: Item[], reason: string): void {
    const retry = items.filter((item) => {
      if (item.attempt < this.maxAttempts) return true;
      this.deadLetter(queue, state, item, reason);
      return false;
    });
    state.ready.unshift(...retry);
    this.dispatch(queue, state);
  }

  // A listener that throws must not keep the letter from the others nor stop the requeue.
  private deadLetter(queue: string, state: QueueState, item: Item, reason: string): void {
    state.bytes -= item.bytes;
    const letter = { queue, id: item.id, data: item.data, attempts: item.attempt, reason };
    this.deadLetters.notify(letter);
  }

  private dispatch(queue: string, state: QueueState): void {
    while (state.ready.length > 0) {
      const consumer = this.nextFreeConsumer(state);
      if (!consumer) return;
      const item = state.ready.shift()!;
      if (item.expiresAt !== undefined && item.expiresAt < this.now()) {
        state.bytes -= item.bytes;
        continue;
      }
      item.attempt += 1;
      const deliveryId = (++this.deliveries).toString(36);
      state.unacked.set(deliveryId, { item, consumer, deliveredAt: this.now() });
      consumer.held += 1;
      try {
        consumer.deliver({
          queue,
          deliveryId,
          id: item.id,
          data: item.data,
          attempt: item.attempt,
          maxAttempts: this.maxAttempts,
          replyTo: item.replyTo,
          correlationId: item.correlationId,
        });
      } catch (error) {
        // A delivery that throws would throw again: dead-letter it, go on with the rest.
        if (state.unacked.delete(deliveryId)) consumer.held -= 1;
        const reason = `undeliverable: ${error instanceof Error ? error.message : String(error)}`;
        this.deadLetter(queue, state, item, reason);
      }
    }
  }

  private forgetIdleQueues(): void {
    for (const [queue, state] of this.queues) {
      const idle = state.consumers.length === 0 && state.ready.length + state.unacked.size === 0;
      if (idle && state.owner === null) this.queues.delete(queue);
    }
  }

  private nextFreeConsumer(state: QueueState): Consumer | undefined {
    const count = state.consumers.length;
    for (let step = 0; step < count; step++) {
      const index = (state.nextConsumer + step) % count;
      const consumer = state.consumers[index];
      if (consumer.held < this.prefetch) {
        state.nextConsumer = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }
}
