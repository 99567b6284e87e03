import type { HistoryQuery, StoredMessage, StoredPage } from '../Engine.js';

export interface HistoryLimits {
  /** Messages kept per room. */
  size: number;
  /** Messages older than this are dropped (0 = no age limit). */
  ttlMs: number;
  /** Bytes kept per room (the messages' JSON size, estimated); oldest dropped first. */
  maxBytes: number;
}

/** Hears of every message a log keeps or drops, so a server-wide byte budget can be kept. */
export interface LogBytes {
  kept(log: RoomLog, offset: number, bytes: number): void;
  dropped(bytes: number): void;
}

/** One room's bounded history under one epoch: contiguous offsets, oldest dropped first. */
export class RoomLog {
  lastOffset = 0;
  /** Bytes of the messages kept. */
  bytes = 0;
  /** Highest offset dropped from the log (by size, bytes or age); everything above is kept. */
  private trimmedUpTo = 0;
  /** Dropped entries are cleared at once, so only kept messages stay reachable. */
  private items: Array<StoredMessage | undefined> = [];
  /** Byte size of each item, index for index. */
  private sizes: number[] = [];
  /** Index of the oldest kept message; the arrays are compacted once the dead prefix grows. */
  private head = 0;

  constructor(
    private readonly limits: HistoryLimits,
    readonly epoch: string,
    private readonly budget?: LogBytes,
    private readonly onEmpty?: () => void,
  ) {}

  /** Offset of the oldest message kept, or 0 when none is. */
  get firstOffset(): number {
    return this.head < this.items.length ? (this.items[this.head] as StoredMessage).offset : 0;
  }

  /** The kept message at `offset`, if it is still kept. */
  at(offset: number): StoredMessage | undefined {
    const first = this.firstOffset;
    return first === 0 || offset < first ? undefined : this.items[this.head + offset - first];
  }

  append(message: StoredMessage, bytes: number): void {
    this.items.push(message);
    this.sizes.push(bytes);
    this.bytes += bytes;
    this.lastOffset = message.offset;
    this.budget?.kept(this, message.offset, bytes);
    while (
      this.head < this.items.length &&
      (this.items.length - this.head > this.limits.size || this.bytes > this.limits.maxBytes)
    ) {
      this.dropOldest();
    }
  }

  expire(now: number): void {
    if (this.limits.ttlMs <= 0) return;
    const cutoff = now - this.limits.ttlMs;
    while (this.head < this.items.length && (this.items[this.head] as StoredMessage).at <= cutoff) {
      this.dropOldest();
    }
  }

  read(query: HistoryQuery): StoredPage {
    const kept = this.items.length - this.head;
    const limit = query.limit ?? kept;
    if (!query.since) {
      const start = Math.max(this.head, this.items.length - limit);
      return this.page(this.kept(start), this.trimmedUpTo === 0 && start === this.head);
    }
    const after = query.since.offset;
    if (query.since.epoch !== this.epoch || after > this.lastOffset) return this.page([], false);
    const start = this.head + Math.max(0, after - this.trimmedUpTo);
    const end = Math.min(this.items.length, start + limit);
    return this.page(this.kept(start, end), after >= this.trimmedUpTo && end === this.items.length);
  }

  private page(messages: StoredMessage[], complete: boolean): StoredPage {
    return { epoch: this.epoch, offset: this.lastOffset, messages, complete };
  }

  private kept(start: number, end?: number): StoredMessage[] {
    return this.items.slice(start, end) as StoredMessage[];
  }

  dropOldest(): void {
    const bytes = this.sizes[this.head];
    this.trimmedUpTo = (this.items[this.head] as StoredMessage).offset;
    this.items[this.head] = undefined;
    this.bytes -= bytes;
    this.head++;
    this.budget?.dropped(bytes);
    if (this.head === this.items.length) this.onEmpty?.();
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}
