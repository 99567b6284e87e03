import type { RateLimitOptions } from '../options.js';
import { RateLimiter } from '../rateLimiter.js';

interface Entry {
  limiter: RateLimiter;
  usedAt: number;
}

/**
 * One RateLimiter per caller key (uid or address). A bucket idle long enough to have refilled
 * is forgotten: a fresh one behaves the same, and the map stays as small as the set of
 * recently active callers. Entries are kept in order of last use, so forgetting stops at the
 * first recent one.
 */
export class CallerLimits {
  private readonly entries = new Map<string, Entry>();
  private readonly refillMs: number;

  constructor(
    private readonly limits: Required<RateLimitOptions>,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.refillMs = (limits.burst / limits.messagesPerSecond) * 1000;
  }

  /** False when the caller is over its limit (HTTP has no connection to close instead). */
  take(key: string): boolean {
    const now = this.now();
    this.forgetIdle(now);
    let entry = this.entries.get(key);
    if (entry) this.entries.delete(key);
    else entry = { limiter: new RateLimiter(this.limits, this.now), usedAt: now };
    entry.usedAt = now;
    this.entries.set(key, entry);
    return entry.limiter.take() === 'ok';
  }

  get size(): number {
    return this.entries.size;
  }

  private forgetIdle(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.usedAt <= this.refillMs) return;
      this.entries.delete(key);
    }
  }
}
