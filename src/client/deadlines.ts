import type { Timers } from './clock.js';

/** Something with a deadline: `deadline` is set while it runs, cleared when it is settled. */
export interface Expiring {
  deadline?: number;
}

/** Items of one timeout, in the order they started: their deadlines only grow. */
class DeadlineQueue<T extends Expiring> {
  items: T[] = [];
  /** The deadline each entry was queued with: an item started again is queued again. */
  ats: number[] = [];
  head = 0;

  /** Whether the entry at `index` still stands for its item's deadline. */
  live(index: number): boolean {
    return this.items[index].deadline === this.ats[index];
  }

  /** Drops settled entries in front and compacts once the dead prefix is most of it. */
  trim(): void {
    while (this.head < this.items.length && !this.live(this.head)) this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.ats.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.ats = this.ats.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Timeouts of many calls on one clock timer instead of one each: per timeout value a queue in
 * start order, and the timer set for the earliest live deadline. Settling is clearing the
 * item's `deadline`; its entry is dropped when it reaches the front.
 */
export class Deadlines<T extends Expiring> {
  readonly #queues = new Map<number, DeadlineQueue<T>>();
  #live = 0;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly clock: Timers,
    private readonly now: () => number,
    private readonly onExpired: (item: T) => void,
  ) {}

  start(item: T, timeoutMs: number): void {
    if (item.deadline !== undefined) this.stop(item);
    const at = this.now() + timeoutMs;
    item.deadline = at;
    this.#live++;
    let queue = this.#queues.get(timeoutMs);
    if (!queue) {
      queue = new DeadlineQueue<T>();
      this.#queues.set(timeoutMs, queue);
    }
    queue.trim();
    queue.items.push(item);
    queue.ats.push(at);
    if (at < this.#timerAt) this.#arm(at);
  }

  stop(item: T): void {
    if (item.deadline === undefined) return;
    item.deadline = undefined;
    this.#live--;
    // With nothing left to time the timer stays armed: it fires once, drops the settled
    // entries and is not set again. Sequential calls would otherwise each set and clear one.
  }

  /** The owner stopped: no timer keeps the process up, no queue holds settled items. */
  clear(): void {
    this.#disarm();
    this.#queues.clear();
  }

  readonly #fire = (): void => {
    // The timer stood for `#timerAt`: that is due even on a clock whose now() did not move.
    const now = Math.max(this.now(), this.#timerAt);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    for (const [timeoutMs, queue] of this.#queues) {
      queue.trim();
      while (queue.head < queue.items.length && queue.ats[queue.head] <= now) {
        const item = queue.items[queue.head];
        const live = queue.live(queue.head);
        // Past it before its callback runs: a start() from there trims from the next entry.
        queue.head++;
        if (live) {
          this.stop(item);
          this.onExpired(item);
        }
        queue.trim();
      }
      if (queue.head < queue.items.length) next = Math.min(next, queue.ats[queue.head]);
      // A timeout value nothing waits on any more goes: callers may compute many.
      else this.#queues.delete(timeoutMs);
    }
    if (next !== Number.POSITIVE_INFINITY && this.#live > 0) this.#arm(next);
  };

  #arm(at: number): void {
    this.#disarm();
    this.#timerAt = at;
    this.#timer = this.clock.setTimeout(this.#fire, Math.max(0, at - this.now()));
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }
}
