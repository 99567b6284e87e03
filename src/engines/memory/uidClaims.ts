export interface UidClaimLimits {
  /** How long a uid's room stays its own after its last session (ms). */
  ttlMs: number;
  /** Claims kept at most; past it the one that would expire first goes. */
  max: number;
}

/**
 * Uids whose personal room stays theirs while they are offline, each for `ttlMs` after it was
 * last renewed, and at most `max` of them: the set is bounded in time and count, whatever the
 * number of uids a server ever sees.
 */
export class UidClaims {
  /** uid → expiry; a renewal moves the uid to the end, so the front expires first. */
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly limits: UidClaimLimits,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.expiries.size;
  }

  renew(uid: string): void {
    const now = this.now();
    this.expire(now);
    this.expiries.delete(uid);
    this.expiries.set(uid, now + this.limits.ttlMs);
    if (this.expiries.size > this.limits.max) {
      this.expiries.delete(this.expiries.keys().next().value as string);
    }
  }

  has(uid: string): boolean {
    const now = this.now();
    this.expire(now);
    const expiry = this.expiries.get(uid);
    return expiry !== undefined && expiry > now;
  }

  /** Forgets the claims that have expired by `now`. */
  expire(now = this.now()): void {
    for (const [uid, expiry] of this.expiries) {
      if (expiry > now) return;
      this.expiries.delete(uid);
    }
  }
}
