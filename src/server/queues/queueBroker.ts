import { nanoid } from 'nanoid';
import type { EngineDelivery, QueueEngine } from '../../engines/QueueEngine.js';
import { StatewireError } from '../../errors/StatewireError.js';
import type { Json } from '../../protocol/frames.js';
import type { AuthorizeAction } from '../options.js';
import { isThenable } from '../thenable.js';

/** Names the server gives temporary queues; nobody can declare such a name by hand. */
export const TEMP_QUEUE_PREFIX = 'tmp.';

/** One message for a queue, as a transport hands it over (`qpub`, HTTP `queueMessage`). */
export interface QueueMessageInput {
  data: Json;
  replyTo?: string;
  correlationId?: string;
  /** Dropped instead of delivered once this much time has passed since it was accepted. */
  expiresInMs?: number;
  /** Message id; a resend with the same mid is accepted once. Default: a fresh id. */
  mid?: string;
}

/** A consumer attached to a queue on behalf of a uid. */
export interface QueueConsumer {
  readonly queue: string;
  /**
   * Detaches (unacked deliveries go back to the queue). A temporary queue left without a
   * consumer is removed after the grace period unless its owner registers again.
   */
  detach(): Promise<void>;
  /** Detaches and, for a temporary queue, removes it at once (its owner's unregister). */
  unregister(): Promise<void>;
}

/** A temporary queue consumed by server code (HTTP rpc); every delivery is acked as it comes. */
export interface TempQueueConsumer {
  readonly queue: string;
  /** Detaches and removes the queue. */
  stop(): Promise<void>;
}

type Allowed = (uid: string, action: AuthorizeAction, target: string) => boolean | Promise<boolean>;

/**
 * Queue rules shared by every transport: temporary queue naming and ownership, `authorize`,
 * message ids and expiry, and the grace period before an abandoned temporary queue goes.
 */
export class QueueBroker {
  constructor(
    private readonly engine: QueueEngine,
    private readonly allowed: Allowed,
    private readonly graceMs: number,
    private readonly onError: (error: unknown, where: string) => void,
  ) {}

  /**
   * Attaches a consumer for `uid`: '' creates a temporary queue owned by `uid`, an unknown
   * named queue is declared, another uid's temporary queue is FORBIDDEN, a vanished temporary
   * queue is NOT_FOUND.
   */
  async attach(
    uid: string,
    requested: string,
    consumerId: string,
    deliver: (delivery: EngineDelivery) => void,
  ): Promise<QueueConsumer> {
    const queue = requested === '' ? `${TEMP_QUEUE_PREFIX}${nanoid()}` : requested;
    if (!(await this.allowed(uid, 'consume', queue))) {
      throw new StatewireError('FORBIDDEN', `consume refused for queue "${queue}"`);
    }
    const temporary = await this.declareFor(uid, queue, requested === '');
    const stop = await this.engine.consume(queue, consumerId, deliver);
    let detached: Promise<void> | null = null;
    const detach = () => {
      detached ??= stop();
      return detached;
    };
    return {
      queue,
      detach,
      unregister: async () => {
        await detach();
        if (temporary) await this.engine.remove(queue);
      },
    };
  }

  /** Settles once `authorize` allowed it and the engine has the item started; see `enqueue`. */
  admit(
    uid: string,
    queue: string,
    input: QueueMessageInput,
  ): { stored: Promise<{ id: string }> } | Promise<{ stored: Promise<{ id: string }> }> {
    const verdict = this.allowed(uid, 'enqueue', queue);
    // No named closure per message: under tsx each one costs a defineProperty (`__name`).
    if (isThenable(verdict)) return verdict.then((ok) => this.admitted(ok, queue, input));
    return this.admitted(verdict, queue, input);
  }

  private admitted(ok: boolean, queue: string, input: QueueMessageInput) {
    if (!ok) throw new StatewireError('FORBIDDEN', `enqueue refused for queue "${queue}"`);
    return { stored: this.put(queue, input) };
  }

  /**
   * Puts a message on a queue for `uid` (anyone may enqueue to a temporary queue: that is
   * how replies travel). FORBIDDEN by `authorize`, NOT_FOUND for an unknown queue,
   * UNAVAILABLE when it is full. Resolves with the message id.
   */
  async enqueue(uid: string, queue: string, input: QueueMessageInput): Promise<{ id: string }> {
    return (await this.admit(uid, queue, input)).stored;
  }

  /**
   * A temporary queue owned by `uid`, consumed by server code: each delivery is acked and
   * handed to `deliver`. For transports without a socket to hold a consumer (HTTP rpc).
   */
  async consumeTemp(
    uid: string,
    deliver: (delivery: EngineDelivery) => void,
  ): Promise<TempQueueConsumer> {
    const consumerId = nanoid();
    const consumer = await this.attach(uid, '', consumerId, (delivery) => {
      // Acked after this call returns: an ack inside delivery would re-enter the engine. A
      // StatewireError means it was settled meanwhile (`stop()` requeued it, then removed it).
      queueMicrotask(() => {
        this.ack(delivery.queue, delivery.deliveryId, consumerId).catch((error) => {
          if (!(error instanceof StatewireError))
            this.onError(error, `queue ack ${delivery.queue}`);
        });
      });
      deliver(delivery);
    });
    return { queue: consumer.queue, stop: () => consumer.unregister() };
  }

  ack(queue: string, deliveryId: string, consumerId: string): Promise<void> {
    return this.engine.ack(queue, deliveryId, consumerId);
  }

  nack(queue: string, deliveryId: string, consumerId: string, reason?: string): Promise<void> {
    return this.engine.nack(queue, deliveryId, consumerId, reason);
  }

  /** Makes sure `queue` exists and `uid` may consume it; true when it is temporary. */
  private async declareFor(uid: string, queue: string, create: boolean): Promise<boolean> {
    if (create) {
      // The engine removes it once no consumer has been attached for the grace period.
      await this.engine.declare(queue, { owner: uid, idleTtlMs: this.graceMs });
      return true;
    }
    const info = await this.engine.describe(queue);
    if (info === undefined) {
      if (queue.startsWith(TEMP_QUEUE_PREFIX)) {
        throw new StatewireError('NOT_FOUND', `temporary queue "${queue}" is gone`);
      }
      await this.engine.declare(queue);
      return false;
    }
    if (info.owner !== null && info.owner !== uid) {
      throw new StatewireError('FORBIDDEN', `queue "${queue}" belongs to another uid`);
    }
    return info.owner !== null;
  }

  private put(queue: string, input: QueueMessageInput): Promise<{ id: string }> {
    const id = input.mid ?? nanoid();
    const { expiresInMs } = input;
    return this.engine
      .enqueue(queue, {
        id,
        data: input.data ?? null,
        replyTo: input.replyTo,
        correlationId: input.correlationId,
        expiresInMs,
        fresh: input.mid === undefined,
      })
      .then(() => ({ id }));
  }
}
