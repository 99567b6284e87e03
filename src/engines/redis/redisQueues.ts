import { StatewireError } from '../../errors/StatewireError.js';
import type { Json } from '../../protocol/frames.js';
import { DeadLetterListeners } from '../deadLetters.js';
import type { Unsubscribe } from '../Engine.js';
import type {
  DeadLetter,
  EngineDelivery,
  QueueEngine,
  QueueItemInput,
  QueueLimits,
  QueueOptions,
} from '../QueueEngine.js';
import type { Channels } from './channels.js';
import type { Keys } from './keys.js';
import type { RedisLink } from './link.js';

export type RedisQueuesOptions = QueueLimits;

interface LocalConsumer {
  readonly name: string;
  readonly deliver: (delivery: EngineDelivery) => void;
  /** deliveryId → engine time it was handed over. */
  readonly held: Map<string, number>;
}

interface LocalQueue {
  consumers: LocalConsumer[];
  next: number;
  pumping: boolean;
  again: boolean;
}

type Fetched = 'GONE' | Array<[number, string, number, string, string, string, string]>;

type Letter = [id: string, data: string, attempts: number];

/**
 * Queues on Redis streams, one consumer group per queue, shared by every node. Each node
 * pulls for its own consumers (on a "ready" doorbell, after an ack, and on a poll), one item
 * per consumer per round, which keeps delivery near round robin across nodes.
 */
export class RedisQueues implements QueueEngine {
  private readonly local = new Map<string, LocalQueue>();
  private readonly deadLetters = new DeadLetterListeners();
  private readonly maxLength: number;
  private readonly maxBytes: number;
  private readonly maxQueues: number;
  private readonly prefetch: number;
  private readonly ackTimeoutMs: number;
  private readonly maxAttempts: number;
  /** How often held deliveries are checked for an ack timeout (and queues polled). */
  readonly sweepIntervalMs: number;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: Keys,
    private readonly channels: Channels,
    private readonly nodeId: string,
    private readonly now: () => number,
    options: RedisQueuesOptions = {},
  ) {
    this.maxLength = options.maxLength ?? 10_000;
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.maxQueues = options.maxQueues ?? 10_000;
    this.prefetch = options.prefetch ?? 64;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.sweepIntervalMs = Math.max(1, Math.min(1000, this.ackTimeoutMs / 4));
  }

  async declare(queue: string, options: QueueOptions = {}): Promise<void> {
    const status = await this.link.script<number | string>(
      'swDeclare',
      [...this.keys.queue(queue), this.keys.namedQueues],
      [options.owner ?? '', options.idleTtlMs ?? 0, this.maxQueues, this.keys.queueBase, queue],
    );
    if (status === 'FULL') {
      throw new StatewireError('UNAVAILABLE', `too many queues (${this.maxQueues})`);
    }
  }

  async describe(queue: string) {
    const [meta, stream, , , consumers] = this.keys.queue(queue);
    const replies = await this.link.call((redis) =>
      redis.multi().exists(meta).hget(meta, 'owner').xlen(stream).hlen(consumers).exec(),
    );
    const [exists, owner, length, count] = (replies ?? []).map(([, value]) => value);
    if (exists !== 1) return undefined;
    return {
      owner: owner ? (owner as string) : null,
      length: length as number,
      consumers: count as number,
    };
  }

  async remove(queue: string): Promise<void> {
    await this.link.call((redis) =>
      redis
        .multi()
        .del(...this.keys.queue(queue))
        .zrem(this.keys.namedQueues, queue)
        .exec(),
    );
  }

  async enqueue(queue: string, item: QueueItemInput): Promise<void> {
    const status = await this.link.script<string>('swEnqueue', this.keys.queue(queue), [
      item.id,
      JSON.stringify(item.data),
      item.replyTo ?? '',
      item.correlationId ?? '',
      item.expiresInMs === undefined ? '' : this.now() + item.expiresInMs,
      this.maxLength,
      this.keys.bell(queue),
      this.now(),
      this.maxBytes,
    ]);
    if (status === 'NOT_FOUND') throw new StatewireError('NOT_FOUND', `unknown queue ${queue}`);
    if (status === 'FULL') throw new StatewireError('UNAVAILABLE', `queue ${queue} is full`);
  }

  async consume(
    queue: string,
    consumerId: string,
    deliver: (delivery: EngineDelivery) => void,
  ): Promise<Unsubscribe> {
    const consumer: LocalConsumer = { name: this.nameOf(consumerId), deliver, held: new Map() };
    let local = this.local.get(queue);
    if (!local) {
      local = { consumers: [], next: 0, pumping: false, again: false };
      this.local.set(queue, local);
    }
    local.consumers.push(consumer);
    try {
      await this.channels.add(this.keys.bell(queue), () => void this.pump(queue));
      const attached = await this.link.script<number>(
        'swAttach',
        [...this.keys.queue(queue), this.keys.node(this.nodeId).queues],
        [consumer.name, queue],
      );
      if (attached !== 1) throw new StatewireError('NOT_FOUND', `unknown queue ${queue}`);
    } catch (error) {
      await this.detach(queue, consumer).catch(() => {});
      throw error;
    }
    void this.pump(queue);
    let detached: Promise<void> | null = null;
    return () => {
      detached ??= this.detach(queue, consumer);
      return detached;
    };
  }

  ack(queue: string, deliveryId: string, consumerId: string): Promise<void> {
    return this.settle(queue, deliveryId, consumerId, 'ack', '');
  }

  nack(queue: string, deliveryId: string, consumerId: string, reason = 'nacked'): Promise<void> {
    return this.settle(queue, deliveryId, consumerId, 'requeue', reason);
  }

  onDeadLetter(listener: (letter: DeadLetter) => void): () => void {
    return this.deadLetters.add(listener);
  }

  /** Requeues deliveries held past the ack timeout and pulls for free consumers. */
  sweep(): void {
    const deadline = this.now() - this.ackTimeoutMs;
    for (const [queue, local] of this.local) {
      for (const consumer of local.consumers) {
        for (const [deliveryId, at] of consumer.held) {
          if (at > deadline) continue;
          consumer.held.delete(deliveryId);
          const [entryId, attempt] = deliveryId.split('/');
          this.settleScript(queue, 'requeue', entryId, attempt, consumer.name, 'ack timeout').catch(
            () => {},
          );
        }
      }
      void this.pump(queue);
    }
  }

  /** After Redis comes back: pull for every local consumer. */
  pumpAll(): void {
    for (const queue of this.local.keys()) void this.pump(queue);
  }

  /** What a dead node's consumers held goes back to the queues (or to the dead letters). */
  async reap(nodeId: string): Promise<void> {
    const queues = await this.link.call((redis) => redis.smembers(this.keys.node(nodeId).queues));
    for (const queue of queues) {
      const [, , , , consumers] = this.keys.queue(queue);
      const names = await this.link.call((redis) => redis.hkeys(consumers));
      for (const name of names) {
        if (name.startsWith(`${nodeId}:`)) await this.detachScript(queue, name, nodeId, false);
      }
    }
  }

  private nameOf(consumerId: string): string {
    return `${this.nodeId}:${consumerId}`;
  }

  private async detach(queue: string, consumer: LocalConsumer): Promise<void> {
    const local = this.local.get(queue);
    if (!local) return;
    const index = local.consumers.indexOf(consumer);
    if (index === -1) return;
    local.consumers.splice(index, 1);
    consumer.held.clear();
    const last = local.consumers.length === 0;
    if (last) {
      this.local.delete(queue);
      void this.channels.remove(this.keys.bell(queue));
    }
    await this.detachScript(queue, consumer.name, this.nodeId, last);
  }

  private async detachScript(queue: string, name: string, nodeId: string, last: boolean) {
    const letters = await this.link.script<Letter[]>(
      'swDetach',
      [...this.keys.queue(queue), this.keys.deadLetters, this.keys.node(nodeId).queues],
      [name, this.maxAttempts, 'consumer lost', this.keys.bell(queue), last ? '1' : '0', queue],
    );
    this.emitLetters(queue, letters, 'consumer lost');
  }

  private async settle(
    queue: string,
    deliveryId: string,
    consumerId: string,
    mode: 'ack' | 'requeue',
    reason: string,
  ): Promise<void> {
    const name = this.nameOf(consumerId);
    const consumer = this.local.get(queue)?.consumers.find((c) => c.name === name);
    const [entryId, attempt] = deliveryId.split('/');
    if (!consumer?.held.has(deliveryId) || attempt === undefined) {
      throw new StatewireError('NOT_FOUND', `unknown delivery ${deliveryId}`);
    }
    const status = await this.settleScript(queue, mode, entryId, attempt, name, reason);
    consumer.held.delete(deliveryId);
    if (status !== 'OK') throw new StatewireError('NOT_FOUND', `unknown delivery ${deliveryId}`);
    void this.pump(queue);
  }

  private async settleScript(
    queue: string,
    mode: 'ack' | 'requeue',
    entryId: string,
    attempt: string,
    name: string,
    reason: string,
    maxAttempts = this.maxAttempts,
  ): Promise<string> {
    const [status, letters] = await this.link.script<[string, Letter[]]>(
      'swSettle',
      [...this.keys.queue(queue), this.keys.deadLetters],
      [mode, entryId, attempt, name, maxAttempts, reason, this.keys.bell(queue), queue],
    );
    this.emitLetters(queue, letters, reason);
    return status;
  }

  private emitLetters(queue: string, letters: Letter[], reason: string): void {
    for (const [id, data, attempts] of letters) {
      const letter: DeadLetter = { queue, id, data: JSON.parse(data) as Json, attempts, reason };
      this.deadLetters.notify(letter);
    }
  }

  private async pump(queue: string): Promise<void> {
    const local = this.local.get(queue);
    if (!local) return;
    if (local.pumping) {
      local.again = true;
      return;
    }
    local.pumping = true;
    try {
      do {
        local.again = false;
        await this.pumpRound(queue, local);
      } while (local.again);
    } catch {
      // Redis away: the next poll or doorbell pulls again.
    } finally {
      local.pumping = false;
    }
  }

  private async pumpRound(queue: string, local: LocalQueue): Promise<void> {
    for (;;) {
      // Consumers in turn order, starting with the one whose turn it is.
      const count = local.consumers.length;
      const order = Array.from(
        { length: count },
        (_, k) => local.consumers[(local.next + k) % count],
      );
      const args: Array<string | number> = [this.now(), count];
      // One item per consumer per call: nodes pulling at once then share a queue fairly.
      for (const consumer of order)
        args.push(consumer.name, consumer.held.size < this.prefetch ? 1 : 0);
      if (!order.some((c) => c.held.size < this.prefetch)) return;
      const fetched = await this.link.script<Fetched>('swFetch', this.keys.queue(queue), args);
      if (fetched === 'GONE') return;
      for (const [turn, entryId, attempt, id, data, replyTo, correlationId] of fetched) {
        const consumer = order[turn];
        // The turn passes on only with an item, so empty pulls do not skip anybody.
        local.next = (local.consumers.indexOf(consumer) + 1) % Math.max(1, local.consumers.length);
        // Detached meanwhile: its detach (sent after this fetch) requeues the item.
        if (!local.consumers.includes(consumer)) continue;
        const deliveryId = `${entryId}/${attempt}`;
        consumer.held.set(deliveryId, this.now());
        try {
          consumer.deliver({
            queue,
            deliveryId,
            id,
            data: JSON.parse(data) as Json,
            attempt,
            maxAttempts: this.maxAttempts,
            replyTo: replyTo === '' ? undefined : replyTo,
            correlationId: correlationId === '' ? undefined : correlationId,
          });
        } catch (error) {
          // A delivery that throws would throw again: dead-letter it at once, as memory does.
          consumer.held.delete(deliveryId);
          const reason = `undeliverable: ${error instanceof Error ? error.message : String(error)}`;
          const attemptText = String(attempt);
          this.settleScript(queue, 'requeue', entryId, attemptText, consumer.name, reason, 0).catch(
            () => {},
          );
        }
      }
      if (fetched.length === 0) return;
    }
  }
}
