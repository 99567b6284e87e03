import type { Json } from '../protocol/frames.js';
import type { RpcOptions } from './rpc.js';

/* The public types of work queues (SPEC §5). */

/** One delivery as a queue handler receives it. */
export interface QueueDelivery {
  queue: string;
  data: Json;
  /** Message id: the same on every redelivery of the message. */
  id: string;
  /** 1 on the first delivery. */
  attempt: number;
  /** Attempts after which the server dead-letters the message (when it says). */
  maxAttempts?: number;
  replyTo?: string;
  correlationId?: string;
}

/**
 * Handles one delivery. Its return value (or resolved value) is the reply when the message has
 * a `replyTo`; then the delivery is acked. A throw or a rejection hands the message back for
 * another attempt; on the last attempt the client emits `deadLetter` instead. A reply the
 * server refuses (e.g. the caller's reply queue is gone) is reported on the `error` event.
 */
export type QueueHandler = (delivery: QueueDelivery) => unknown;

export interface QueueMessageOptions {
  replyTo?: string;
  correlationId?: string;
  /** Dropped by the server if no consumer took it within this time. */
  expiresInMs?: number;
  /** How long to wait for the server's ack once sent. Default: the client's `timeoutMs`. */
  timeoutMs?: number;
}

export interface QueueMessageAck {
  /** The message id. */
  id: string;
}

export type { RpcOptions };

/** Client event `deadLetter`: a delivery failed on its last attempt; the server drops it. */
export interface DeadLetterEvent {
  queue: string;
  id: string;
  data: Json;
  attempts: number;
  /** The handler's error message (also sent as the `qnack` reason). */
  reason: string;
  /** What the handler threw or rejected with. */
  error: unknown;
}

/** Client event `queueRenamed`: a temporary queue expired while offline and was replaced. */
export interface QueueRenamedEvent {
  from: string;
  to: string;
}
