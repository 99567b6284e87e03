import type { HistoryPage, HistoryQuery, StoredMessage } from '../Engine.js';

export interface HistoryLimits {
  /** Messages kept per room. */
  size: number;
  /** Messages older than this are dropped (0 = no age limit). */
  ttlMs: number;
}

/** One room's bounded history: contiguous offsets, oldest dropped first. */
export class RoomLog {
  lastOffset = 0;
  /** Highest offset dropped from the log (by size or age); everything above it is kept. */
  private trimmedUpTo = 0;
  private items: StoredMessage[] = [];
  /** Index of the oldest kept message; `items` is compacted once the dead prefix grows. */
  private head = 0;

  constructor(private readonly limits: HistoryLimits) {}

  append(message: StoredMessage): void {
    this.items.push(message);
    this.lastOffset = message.offset;
    if (this.items.length - this.head > this.limits.size) this.dropOldest();
  }

  expire(now: number): void {
    if (this.limits.ttlMs <= 0) return;
    const cutoff = now - this.limits.ttlMs;
    while (this.head < this.items.length && this.items[this.head].at <= cutoff) this.dropOldest();
  }

  read(epoch: string, query: HistoryQuery): HistoryPage {
    const kept = this.items.length - this.head;
    const page = (messages: StoredMessage[], complete: boolean): HistoryPage => ({
      epoch,
      offset: this.lastOffset,
      messages,
      complete,
    });
    const limit = query.limit ?? kept;
    if (!query.since) {
      const start = Math.max(this.head, this.items.length - limit);
      return page(this.items.slice(start), this.trimmedUpTo === 0 && start === this.head);
    }
    const after = query.since.offset;
    if (query.since.epoch !== epoch || after > this.lastOffset) return page([], false);
    const start = this.head + Math.max(0, after - this.trimmedUpTo);
    const end = Math.min(this.items.length, start + limit);
    return page(
      this.items.slice(start, end),
      after >= this.trimmedUpTo && end === this.items.length,
    );
  }

  private dropOldest(): void {
    this.trimmedUpTo = this.items[this.head].offset;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
