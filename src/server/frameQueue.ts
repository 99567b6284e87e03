import { quoted } from '../protocol/codec.js';
import type { RequestId } from '../protocol/frames.js';

/** A coalesced frame stops growing at this many messages or bytes. */
const MAX_BATCH_MESSAGES = 256;
const MAX_BATCH_BYTES = 64 * 1024;
/** An `acks` item carries at most this many acks. */
const MAX_ACKS_PER_ITEM = 256;

/**
 * What a connection has to send this turn, in order: encoded messages, and publish acks of one
 * epoch in a row gathered into one `acks` item (for sessions that asked for it in `hello`).
 */
export class FrameQueue {
  #frames: string[] = [];
  /** The open run of acks: always the last item, so order across items is kept. */
  #epoch: string | null = null;
  #ids = '';
  #offsets = '';
  #acks = 0;

  get isEmpty(): boolean {
    return this.#frames.length === 0 && this.#epoch === null;
  }

  push(frame: string): void {
    if (this.#epoch !== null) this.#closeAcks();
    this.#frames.push(frame);
  }

  /** The ack of a publish that carried a `mid`: the client knows the id, it needs the position. */
  ack(id: RequestId, offset: number, epoch: string): void {
    const idJson = typeof id === 'number' ? String(id) : quoted(id);
    if (this.#epoch === epoch && this.#acks < MAX_ACKS_PER_ITEM) {
      this.#ids += `,${idJson}`;
      this.#offsets += `,${offset}`;
      this.#acks++;
      return;
    }
    if (this.#epoch !== null) this.#closeAcks();
    this.#epoch = epoch;
    this.#ids = idJson;
    this.#offsets = String(offset);
    this.#acks = 1;
  }

  clear(): void {
    this.#frames = [];
    this.#epoch = null;
  }

  /** Everything queued as WebSocket frames: batches of items, bounded in count and bytes. */
  take(): string[] {
    if (this.#epoch !== null) this.#closeAcks();
    const items = this.#frames;
    this.#frames = [];
    if (items.length === 1) return items;
    const frames: string[] = [];
    let start = 0;
    while (start < items.length) {
      let end = start + 1;
      let bytes = items[start].length;
      while (
        end < items.length &&
        end - start < MAX_BATCH_MESSAGES &&
        bytes + items[end].length < MAX_BATCH_BYTES
      ) {
        bytes += items[end].length;
        end++;
      }
      frames.push(end - start === 1 ? items[start] : `[${items.slice(start, end).join(',')}]`);
      start = end;
    }
    return frames;
  }

  #closeAcks(): void {
    this.#frames.push(
      `{"type":"acks","epoch":${quoted(this.#epoch as string)},"ids":[${this.#ids}],"offsets":[${this.#offsets}]}`,
    );
    this.#epoch = null;
  }
}
