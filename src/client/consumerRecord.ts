import type { Actor } from 'xstate';
import type { ErrorCode } from '../errors/codes.js';
import type { QueueConsumerState, queueConsumerMachine } from '../machines/queueConsumer.js';
import type { QmsgMsg } from '../protocol/frames.js';
import type { QueueHandler } from './queueTypes.js';
import { Waiters } from './waiters.js';

export type ConsumerActor = Actor<typeof queueConsumerMachine>;

/** One consumer: its actor, the code its deliveries go to, and who waits on it. */
export class ConsumerRecord {
  state: QueueConsumerState = 'registering';
  error?: { code: ErrorCode; message: string };
  /** The name the server knows; '' until a temporary queue is named. */
  name: string;
  registeredOnce = false;
  /** Sequence of the current `qreg`: answers to older ones are ignored. */
  request = 0;
  /** Set when `qunreg` went out: settles with its answer or the loss of the socket. */
  unregistered?: Promise<void>;
  /** `registerQueue` calls waiting for the consumer to be active (resolved with its name). */
  readonly waiters = new Waiters<string>();
  /** The user's handler (the rpc reply queue has none: its `receive` resolves rpcs). */
  handler?: QueueHandler;
  /** Who registered it last (a client handle; undefined: the client): its `close()` ends it. */
  owner?: object;

  constructor(
    /** Key in snapshots and `client.actors` until the server named the queue. */
    readonly placeholder: string,
    readonly actor: ConsumerActor,
    readonly receive: (frame: QmsgMsg, generation: number) => void,
  ) {
    this.name = actor.getSnapshot().context.queue;
  }

  get label(): string {
    return this.name || this.placeholder;
  }

  get finished(): boolean {
    return this.state === 'unregistered' || this.state === 'failed';
  }
}
