import type { Json } from '../protocol/frames.js';

/** Stops what a `listen` or `consume` started. */
export type Unsubscribe = () => Promise<void>;

export interface QueueItemInput {
  /** Message id chosen by the producer; a repeated id is accepted once. */
  id: string;
  data: Json;
  replyTo?: string;
  correlationId?: string;
  /** Dropped instead of delivered once this long has passed (engine time) since enqueue. */
  expiresInMs?: number;
  /** The id was just made by the broker (no producer id): it cannot repeat, no need to keep it. */
  fresh?: boolean;
}

export interface EngineDelivery {
  queue: string;
  deliveryId: string;
  id: string;
  data: Json;
  /** 1 on first delivery, +1 on every redelivery. */
  attempt: number;
  /** Deliveries of one item before it is dead-lettered. */
  maxAttempts: number;
  replyTo?: string;
  correlationId?: string;
}

export interface DeadLetter {
  queue: string;
  id: string;
  data: Json;
  attempts: number;
  reason: string;
}

/** The bounds of a queue engine's queues (memory and Redis alike). */
export interface QueueLimits {
  /** Items a queue holds (ready + unacked) before `enqueue` fails with UNAVAILABLE (default 10,000). */
  maxLength?: number;
  /** Bytes (the items' JSON size plus ~96 each) a queue holds before `enqueue` fails (16 MiB). */
  maxBytes?: number;
  /**
   * Named queues kept at most (default 10,000): declaring one more first forgets idle ones
   * (empty, no consumer), else fails with UNAVAILABLE.
   */
  maxQueues?: number;
  /** Unacked deliveries one consumer holds at most (prefetch, default 64). */
  prefetch?: number;
  /** An unacked delivery older than this goes back to the queue (default 30 s). */
  ackTimeoutMs?: number;
  /** Deliveries of one item before it is dead-lettered (default 5). */
  maxAttempts?: number;
}

export interface QueueOptions {
  /** For a temporary queue: the uid that alone may consume it. */
  owner?: string;
  /**
   * Removed once it has had no consumer anywhere for this long (0 = kept). The engine owns the
   * expiry, so it holds across nodes and outlives the node that last detached.
   */
  idleTtlMs?: number;
}

/**
 * Competing-consumer work queues with at-least-once delivery. Asynchronous and delivering by
 * callback, like Engine, so that a shared (Redis) implementation fits the same server code.
 */
export interface QueueEngine {
  /** Creates the queue if it does not exist; declaring again keeps its items. */
  declare(queue: string, options?: QueueOptions): Promise<void>;
  /**
   * Owner of a temporary queue (null for a named one), items held (ready + unacked) and
   * consumers attached anywhere; undefined when the queue is unknown.
   */
  describe(
    queue: string,
  ): Promise<{ owner: string | null; length: number; consumers: number } | undefined>;
  remove(queue: string): Promise<void>;
  /** NOT_FOUND for an unknown queue, UNAVAILABLE when the queue is full. */
  enqueue(queue: string, item: QueueItemInput): Promise<void>;
  /** Registers a consumer; the returned function unregisters it and requeues what it held. */
  consume(
    queue: string,
    consumerId: string,
    deliver: (delivery: EngineDelivery) => void,
  ): Promise<Unsubscribe>;
  ack(queue: string, deliveryId: string, consumerId: string): Promise<void>;
  /** Requeues the delivery (a later attempt), or dead-letters it after the last attempt. */
  nack(queue: string, deliveryId: string, consumerId: string, reason?: string): Promise<void>;
  /** Hears about every item this node dead-letters; returns a function that stops it. */
  onDeadLetter(listener: (letter: DeadLetter) => void): () => void;
}
