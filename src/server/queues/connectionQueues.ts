import type { EngineDelivery } from '../../engines/QueueEngine.js';
import { jsonOf, quoted } from '../../protocol/codec.js';
import type { QueueBroker, QueueConsumer } from './queueBroker.js';

/** What the queue consumers of a connection need from it. */
export interface QueueSession {
  readonly uid: string | null;
  /** One consumer per queue per connection, so the session id names the consumer. */
  readonly session: string;
  enqueue(frame: string): void;
}

/** Written out by hand: one per delivery, on the rpc path twice per call. */
export function qmsgFrame(d: EngineDelivery): string {
  const replyTo = d.replyTo === undefined ? '' : `,"replyTo":${quoted(d.replyTo)}`;
  const correlationId =
    d.correlationId === undefined ? '' : `,"correlationId":${quoted(d.correlationId)}`;
  const data = jsonOf(d.data);
  return `{"type":"qmsg","queue":${quoted(d.queue)},"deliveryId":${quoted(d.deliveryId)},"id":${quoted(d.id)},"data":${data},"attempt":${d.attempt},"maxAttempts":${d.maxAttempts}${replyTo}${correlationId}}`;
}

/** The queues one connection consumes; all of them detach when it closes. */
export class ConnectionQueues {
  private readonly consumers = new Map<string, QueueConsumer>();
  private detached = false;

  constructor(
    private readonly session: QueueSession,
    private readonly broker: QueueBroker,
    private readonly onError: (error: unknown, where: string) => void,
  ) {}

  /** Queues this connection consumes. */
  get size(): number {
    return this.consumers.size;
  }

  /** Attaches this connection to `requested` ('' = a new temporary queue); idempotent. */
  async register(requested: string): Promise<string> {
    if (this.consumers.has(requested)) return requested;
    const { session } = this;
    const consumer = await this.broker.attach(
      session.uid as string,
      requested,
      session.session,
      (delivery) => {
        try {
          session.enqueue(qmsgFrame(delivery));
        } catch (error) {
          // Rethrown so the engine dead-letters the item instead of redelivering it forever.
          this.onError(error, `queue delivery ${delivery.queue} ${delivery.id}`);
          throw error;
        }
      },
    );
    // Closed while attaching: what was delivered meanwhile goes back at once.
    if (this.detached) await consumer.detach();
    else this.consumers.set(consumer.queue, consumer);
    return consumer.queue;
  }

  /** Detaches from `queue` (a temporary queue goes with it); a no-op when not registered. */
  async unregister(queue: string): Promise<void> {
    const consumer = this.consumers.get(queue);
    if (!consumer) return;
    this.consumers.delete(queue);
    await consumer.unregister();
  }

  ack(queue: string, deliveryId: string): Promise<void> {
    return this.broker.ack(queue, deliveryId, this.session.session);
  }

  nack(queue: string, deliveryId: string, reason?: string): Promise<void> {
    return this.broker.nack(queue, deliveryId, this.session.session, reason);
  }

  /** The connection is closing: every unacked delivery goes to the remaining consumers. */
  detachAll(): void {
    this.detached = true;
    for (const consumer of this.consumers.values()) {
      consumer.detach().catch((error) => this.onError(error, `queue detach ${consumer.queue}`));
    }
    this.consumers.clear();
  }
}
