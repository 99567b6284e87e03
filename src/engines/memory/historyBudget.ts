import type { LogBytes, RoomLog } from './roomLog.js';

/**
 * The server-wide history budget: once the rooms together keep more than `maxBytes`, the
 * oldest messages of any room go first. Messages are listed in the order they were kept (in
 * columns: an object per message would outlive the young generation); entries of messages a
 * room already dropped by itself are skipped, and swept out once they outnumber the live ones.
 */
export class HistoryBudget implements LogBytes {
  bytes = 0;
  private logs: RoomLog[] = [];
  private offsets: number[] = [];
  private head = 0;
  private live = 0;

  constructor(private readonly maxBytes: number) {}

  kept(log: RoomLog, offset: number, bytes: number): void {
    this.logs.push(log);
    this.offsets.push(offset);
    this.bytes += bytes;
    this.live++;
    while (this.bytes > this.maxBytes && this.head < this.logs.length) {
      const oldest = this.logs[this.head];
      if (oldest.firstOffset === this.offsets[this.head++]) oldest.dropOldest();
    }
    if (this.logs.length - this.head > 2 * this.live + 1024) this.sweep();
  }

  dropped(bytes: number): void {
    this.bytes -= bytes;
    this.live--;
  }

  private sweep(): void {
    const logs: RoomLog[] = [];
    const offsets: number[] = [];
    for (let i = this.head; i < this.logs.length; i++) {
      const first = this.logs[i].firstOffset;
      if (first !== 0 && this.offsets[i] >= first) {
        logs.push(this.logs[i]);
        offsets.push(this.offsets[i]);
      }
    }
    this.logs = logs;
    this.offsets = offsets;
    this.head = 0;
  }
}
