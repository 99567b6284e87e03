import type { StoredMessage } from '../Engine.js';
import { IdWindow } from './idWindow.js';

/** What dedupe remembers of a message: its content would pin memory past the budgets. */
type Receipt = Omit<StoredMessage, 'content'>;

/**
 * The receipts of the last `capacity` publishes over all rooms, by room and id, for dedupe.
 * Kept in columns, not as an object per publish: one would live for `capacity` publishes, long
 * enough to be promoted out of the young generation, the costliest garbage there is.
 */
export class RecentPublishes {
  /** (room, id) → the publish's sequence number; its columns are at `seq % capacity`. */
  readonly #seqs: IdWindow<number>;
  #count = 0;
  readonly #events: string[] = [];
  readonly #offsets: number[] = [];
  readonly #epochs: string[] = [];
  readonly #ats: number[] = [];
  readonly #froms: Array<string | undefined> = [];

  constructor(private readonly capacity: number) {
    // Forgets in the order of adding, as the columns are overwritten: a seq it holds is intact.
    this.#seqs = new IdWindow(capacity);
  }

  get(room: string, id: string): Receipt | undefined {
    const seq = this.#seqs.get(room, id);
    if (seq === undefined) return undefined;
    const slot = seq % this.capacity;
    const receipt: Receipt = {
      room,
      event: this.#events[slot],
      offset: this.#offsets[slot],
      epoch: this.#epochs[slot],
      id,
      at: this.#ats[slot],
    };
    const from = this.#froms[slot];
    if (from !== undefined) receipt.from = from;
    return receipt;
  }

  /** Remembers a message whose id `get` did not find. */
  add(message: StoredMessage): void {
    if (this.capacity <= 0) return;
    const seq = this.#count++;
    const slot = seq % this.capacity;
    this.#events[slot] = message.event;
    this.#offsets[slot] = message.offset;
    this.#epochs[slot] = message.epoch;
    this.#ats[slot] = message.at;
    this.#froms[slot] = message.from;
    this.#seqs.add(message.room, message.id, seq);
  }
}
