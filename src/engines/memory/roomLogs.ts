import { HistoryBudget } from './historyBudget.js';
import { type HistoryLimits, RoomLog } from './roomLog.js';

export interface RoomLogsLimits extends HistoryLimits {
  maxTotalBytes: number;
  /** Empty rooms nobody listens to whose position is remembered; past it the oldest go. */
  maxIdleRooms: number;
}

/**
 * Every room's log, and the epochs that make forgetting one safe. A room that holds no message
 * and has no listener is idle: its position is kept (a returning client recovers without a
 * false alarm) for up to `maxIdleRooms` rooms. Beyond that the oldest idle room is forgotten
 * and the generation moves on, so a room that comes back gets a new epoch and a client that
 * held an old position is told `recovered: false`, never handed reused offsets.
 */
export class RoomLogs {
  private readonly logs = new Map<string, RoomLog>();
  /** Idle rooms, the one idle longest first. */
  private readonly idle = new Map<string, RoomLog>();
  private readonly listened = new Set<string>();
  private readonly budget: HistoryBudget;
  private generation = 0;

  constructor(
    private readonly baseEpoch: string,
    private readonly limits: RoomLogsLimits,
  ) {
    this.budget = new HistoryBudget(limits.maxTotalBytes);
  }

  /** Bytes of history all rooms keep now. */
  get bytes(): number {
    return this.budget.bytes;
  }

  /** The epoch a room that has no log now starts with. */
  get epoch(): string {
    return this.generation === 0 ? this.baseEpoch : `${this.baseEpoch}.${this.generation}`;
  }

  get(room: string, now: number): RoomLog | undefined {
    const log = this.logs.get(room);
    log?.expire(now);
    return log;
  }

  /** The room's log, created when needed; it stops being idle (a message is coming). */
  forAppend(room: string, now: number): RoomLog {
    this.get(room, now);
    // Read again: expiring may have emptied it and let it be forgotten.
    let log = this.logs.get(room);
    if (!log) {
      const created = new RoomLog(this.limits, this.epoch, this.budget, () => this.emptied(room));
      this.logs.set(room, created);
      log = created;
    }
    this.idle.delete(room);
    return log;
  }

  listen(room: string): void {
    this.listened.add(room);
    this.idle.delete(room);
  }

  unlisten(room: string): void {
    this.listened.delete(room);
    const log = this.logs.get(room);
    if (log?.firstOffset === 0) this.markIdle(room, log);
  }

  private emptied(room: string): void {
    const log = this.logs.get(room);
    if (log && !this.listened.has(room)) this.markIdle(room, log);
  }

  private markIdle(room: string, log: RoomLog): void {
    this.idle.delete(room);
    this.idle.set(room, log);
    if (this.idle.size <= this.limits.maxIdleRooms) return;
    const [oldest] = this.idle.keys();
    this.idle.delete(oldest);
    this.logs.delete(oldest);
    this.generation++;
  }
}
