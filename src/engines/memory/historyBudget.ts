import type { LogBytes, RoomLog } from './roomLog.js';

interface Kept {
  log: RoomLog;
  offset: number;
}

/**
 * The server-wide history budget: once the rooms together keep more than `maxBytes`, the
 * oldest messages of any room go first. Messages are listed in the order they were kept;
 * entries of messages a room already dropped by itself are skipped, and swept out once they
 * outnumber the live ones.
 */
export class HistoryBudget implements LogBytes {
  bytes = 0;
  private kept_: Kept[] = [];
  private head = 0;
  private live = 0;

  constructor(private readonly maxBytes: number) {}

  kept(log: RoomLog, offset: number, bytes: number): void {
    this.kept_.push({ log, offset });
    this.bytes += bytes;
    this.live++;
    while (this.bytes > this.maxBytes && this.head < this.kept_.length) {
      const oldest = this.kept_[this.head++];
      if (oldest.log.firstOffset === oldest.offset) oldest.log.dropOldest();
    }
    if (this.kept_.length - this.head > 2 * this.live + 1024) this.sweep();
  }

  dropped(bytes: number): void {
    this.bytes -= bytes;
    this.live--;
  }

  private sweep(): void {
    this.kept_ = this.kept_.slice(this.head).filter((k) => {
      const first = k.log.firstOffset;
      return first !== 0 && k.offset >= first;
    });
    this.head = 0;
  }
}
