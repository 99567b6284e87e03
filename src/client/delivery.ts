import { nanoid } from 'nanoid';
import type { StatewireError } from '../errors/StatewireError.js';
import type { Json, QmsgMsg, QpubMsg } from '../protocol/frames.js';
import type { Calls } from './calls.js';
import type { ConsumerRecord } from './consumerRecord.js';
import type { Unsent } from './outgoing.js';
import type { QueueDelivery, QueueHandler } from './queueTypes.js';
import type { ClientEvents } from './types.js';

/** What running a delivery needs from the queues it belongs to. */
export interface DeliveryPort {
  calls: Calls;
  emit<K extends 'deadLetter' | 'error'>(name: K, payload: ClientEvents[K]): void;
  /** Whether the delivery's socket and consumer are still the current ones. */
  isCurrent(record: ConsumerRecord, generation: number): boolean;
  /** qack/qnack, on the socket the delivery came on only. */
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

/** Runs the handler; replies and acks on success, nacks (or reports a dead letter) on failure. */
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
  if (frame.replyTo !== undefined) {
    const reply: Unsent<QpubMsg> = {
      type: 'qpub',
      queue: frame.replyTo,
      data: (value ?? null) as Json,
      mid: nanoid(),
    };
    if (frame.correlationId !== undefined) reply.correlationId = frame.correlationId;
    port.calls.publish(reply).catch((error: StatewireError) => {
      if (error.code === 'DISCONNECTED') return;
      port.emit('error', {
        code: error.code,
        message: `reply to queue "${frame.replyTo}" failed: ${error.message}`,
        recoverable: error.recoverable,
      });
    });
  }
  port.settle(generation, { type: 'qack', queue: frame.queue, deliveryId: frame.deliveryId });
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
