import type { RateLimitOptions } from './options.js';

export type RateVerdict = 'ok' | 'refused' | 'disconnect';

/** A refusal this long after the previous one starts a new streak. */
const STREAK_GAP_MS = 1000;

/**
 * Per-connection token bucket. Refused messages in an unbroken streak (no quiet second
 * between refusals) count towards a disconnect: occasional bursts are answered with
 * RATE_LIMITED, sustained flooding ends the connection.
 */
export class RateLimiter {
  private tokens: number;
  private refilledAt: number;
  private streak = 0;
  private lastRefusal = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limits: Required<RateLimitOptions>,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limits.burst;
    this.refilledAt = now();
  }

  take(): RateVerdict {
    const now = this.now();
    const refill = ((now - this.refilledAt) * this.limits.messagesPerSecond) / 1000;
    this.tokens = Math.min(this.limits.burst, this.tokens + refill);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'ok';
    }
    if (now - this.lastRefusal > STREAK_GAP_MS) this.streak = 0;
    this.lastRefusal = now;
    this.streak++;
    return this.streak >= this.limits.disconnectAfter ? 'disconnect' : 'refused';
  }
}
