import type { StatewireError } from '../errors/StatewireError.js';
import type { Json, QackMsg, QmsgMsg } from '../protocol/frames.js';
import type { ConsumerRecord } from './consumerRecord.js';
import type { QueueDelivery, QueueHandler } from './queueTypes.js';
import type { ClientEvents } from './types.js';

/** What running a delivery needs from the queues it belongs to. */
export interface DeliveryPort {
  emit<K extends 'deadLetter' | 'error'>(name: K, payload: ClientEvents[K]): void;
  /** Whether the delivery's socket and consumer are still the current ones. */
  isCurrent(record: ConsumerRecord, generation: number): boolean;
  /** qack/qnack, on the socket the delivery came on only; throws PAYLOAD_TOO_LARGE. */
  settle(generation: number, message: object): void;
}

const MAX_NACK_REASON = 200;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, MAX_NACK_REASON);
}

/** Runs the handler; acks (with the reply) on success, nacks (or reports a dead letter) on failure. */
export function runDelivery(
  record: ConsumerRecord,
  frame: QmsgMsg,
  generation: number,
  port: DeliveryPort,
): void {
  const handler = record.handler as QueueHandler;
  const delivery: QueueDelivery = {
    queue: frame.queue,
    data: frame.data,
    id: frame.id,
    attempt: frame.attempt,
  };
  if (frame.maxAttempts !== undefined) delivery.maxAttempts = frame.maxAttempts;
  if (frame.replyTo !== undefined) delivery.replyTo = frame.replyTo;
  if (frame.correlationId !== undefined) delivery.correlationId = frame.correlationId;
  let result: unknown;
  try {
    result = handler(delivery);
  } catch (error) {
    failed(record, frame, generation, error, port);
    return;
  }
  if (isThenable(result)) {
    result.then(
      (value) => done(record, frame, generation, value, port),
      (error) => failed(record, frame, generation, error, port),
    );
  } else {
    done(record, frame, generation, result, port);
  }
}

function done(
  record: ConsumerRecord,
  frame: QmsgMsg,
  generation: number,
  value: unknown,
  port: DeliveryPort,
): void {
  // The socket it came on is gone (or the consumer left): the server hands it to another one.
  if (!port.isCurrent(record, generation)) return;
  const ack: QackMsg = { type: 'qack', queue: frame.queue, deliveryId: frame.deliveryId };
  const { replyTo } = frame;
  if (replyTo === undefined) {
    port.settle(generation, ack);
    return;
  }
  // The reply rides on the ack: the server puts it on `replyTo`, then settles the delivery.
  const withReply: QackMsg = {
    type: 'qack',
    queue: frame.queue,
    deliveryId: frame.deliveryId,
    replyTo,
    correlationId: frame.correlationId,
    reply: (value ?? null) as Json,
  };
  try {
    port.settle(generation, withReply);
  } catch (error) {
    // Too large for a frame: reported, and the delivery is acked without it.
    const { code, message, recoverable } = error as StatewireError;
    port.emit('error', {
      code,
      message: `reply to queue "${replyTo}" failed: ${message}`,
      recoverable,
    });
    port.settle(generation, ack);
  }
}

function failed(
  record: ConsumerRecord,
  frame: QmsgMsg,
  generation: number,
  error: unknown,
  port: DeliveryPort,
): void {
  if (!port.isCurrent(record, generation)) return;
  const reason = reasonOf(error);
  if (frame.maxAttempts !== undefined && frame.attempt >= frame.maxAttempts) {
    port.emit('deadLetter', {
      queue: frame.queue,
      id: frame.id,
      data: frame.data,
      attempts: frame.attempt,
      reason,
      error,
    });
  }
  port.settle(generation, {
    type: 'qnack',
    queue: frame.queue,
    deliveryId: frame.deliveryId,
    reason,
  });
}
