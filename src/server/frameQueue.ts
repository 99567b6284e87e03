import { quoted } from '../protocol/codec.js';
import type { RequestId } from '../protocol/frames.js';
import type { EncodedMessage } from './wire.js';

/** A coalesced frame stops growing at this many messages or bytes. */
const MAX_BATCH_MESSAGES = 256;
const MAX_BATCH_BYTES = 64 * 1024;
/** An `acks` item carries at most this many acks. */
const MAX_ACKS_PER_ITEM = 256;

/** What an idle queue holds (shared, never written to): no array per idle connection. */
const NOTHING: string[] = [];

/**
 * What a connection has to send this turn, in order: encoded items; publish acks of one epoch
 * gathered into one `acks` item, and room messages in a row of one room, epoch, event and
 * sender into one `msgs` item (each for sessions that asked for it in `hello`). An ack may
 * leave after room messages queued after it, never before one queued before it: the acks of a
 * batch of publishes follow its messages instead of cutting their run.
 */
export class FrameQueue {
  #frames = NOTHING;
  /** The open run of acks: it goes after the open run of messages, before any other item. */
  #epoch: string | null = null;
  #ids = '';
  #offsets = '';
  #acks = 0;
  /** The open run of room messages: its first message and its entries. */
  #runFirst: EncodedMessage | null = null;
  #runEntries = NOTHING;
  #runBytes = 0;

  get isEmpty(): boolean {
    return this.#frames.length === 0 && this.#epoch === null && this.#runFirst === null;
  }

  push(frame: string): void {
    this.#closeRun();
    this.#append(frame);
  }

  /** A room message as its own item: like `push`, but the open acks may follow it. */
  pushMessage(item: string): void {
    this.#closeMessages();
    this.#append(item);
  }

  /** A room message, in the run of the ones before it when it shares their room, epoch, event, sender. */
  message(encoded: EncodedMessage): void {
    const first = this.#runFirst;
    const entry = encoded.entry;
    if (
      first !== null &&
      this.#runEntries.length < MAX_BATCH_MESSAGES &&
      this.#runBytes + entry.length < MAX_BATCH_BYTES &&
      encoded.continues(first.message)
    ) {
      this.#runEntries.push(entry);
      this.#runBytes += entry.length;
      return;
    }
    this.#closeMessages();
    this.#runFirst = encoded;
    this.#runEntries = [entry];
    this.#runBytes = entry.length;
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
    if (this.#epoch !== null) this.#closeRun();
    this.#epoch = epoch;
    this.#ids = idJson;
    this.#offsets = String(offset);
    this.#acks = 1;
  }

  clear(): void {
    this.#frames = NOTHING;
    this.#epoch = null;
    this.#runFirst = null;
    this.#runEntries = NOTHING;
  }

  /** Everything queued as WebSocket frames: batches of items, bounded in count and bytes. */
  take(): string[] {
    this.#closeRun();
    const items = this.#frames;
    this.#frames = NOTHING;
    if (items.length <= 1) return items === NOTHING ? [] : items;
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

  /** Ends the open runs, messages then acks: the next item starts after them. */
  #closeRun(): void {
    this.#closeMessages();
    if (this.#epoch !== null) {
      this.#append(
        `{"type":"acks","epoch":${quoted(this.#epoch)},"ids":[${this.#ids}],"offsets":[${this.#offsets}]}`,
      );
      this.#epoch = null;
    }
  }

  #closeMessages(): void {
    const first = this.#runFirst;
    if (first !== null) {
      // A new list each run: the first message keeps the last one to share the item (runItem).
      this.#append(first.runItem(this.#runEntries));
      this.#runFirst = null;
      this.#runEntries = NOTHING;
    }
  }

  #append(item: string): void {
    if (this.#frames === NOTHING) this.#frames = [item];
    else this.#frames.push(item);
  }
}
