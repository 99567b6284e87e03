import { describe, expect, it } from 'vitest';
import { CallerLimits } from '../../src/server/http/callerLimits.js';

describe('CallerLimits', () => {
  it('limits each key on its own and forgets keys idle long enough to have refilled', () => {
    let now = 0;
    // burst 2 at 1/s: a bucket is full again 2 s after its last use.
    const limits = new CallerLimits(
      { messagesPerSecond: 1, burst: 2, disconnectAfter: 4 },
      () => now,
    );
    expect([limits.take('a'), limits.take('a'), limits.take('a')]).toEqual([true, true, false]);
    expect(limits.take('b')).toBe(true);
    now = 1000;
    expect(limits.take('a')).toBe(true);
    expect(limits.take('a')).toBe(false);
    now = 2500;
    limits.take('c');
    expect(limits.size).toBe(2); // b (last used at 0) is gone, a (1000) is not
    now = 10_000;
    limits.take('c');
    expect(limits.size).toBe(1);
    expect([limits.take('a'), limits.take('a'), limits.take('a')]).toEqual([true, true, false]);
  });
});
