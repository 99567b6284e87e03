import { describe, expect, it } from 'vitest';
import { Deadlines, type Expiring } from '../../src/client/deadlines.js';
import { SimulatedClock } from '../../src/testing/index.js';

interface Item extends Expiring {
  name: string;
}

function setup() {
  const clock = new SimulatedClock();
  const timers = { set: 0, cleared: 0 };
  const counted = {
    setTimeout: (fn: () => void, ms: number) => {
      timers.set++;
      return clock.setTimeout(fn, ms);
    },
    clearTimeout: (id: number) => {
      timers.cleared++;
      clock.clearTimeout(id);
    },
  };
  const expired: string[] = [];
  const deadlines = new Deadlines<Item>(
    counted,
    () => clock.now(),
    (item) => expired.push(`${item.name}@${clock.now()}`),
  );
  return { clock, timers, expired, deadlines };
}

describe('Deadlines (SimulatedClock)', () => {
  it('expires each item at its own deadline, across timeout values, on one timer', () => {
    const { clock, timers, expired, deadlines } = setup();
    const a: Item = { name: 'a' };
    const b: Item = { name: 'b' };
    const c: Item = { name: 'c' };
    deadlines.start(a, 1000);
    clock.increment(100);
    deadlines.start(b, 1000);
    deadlines.start(c, 300);
    clock.increment(299);
    expect(expired).toEqual([]);
    clock.increment(1);
    expect(expired).toEqual(['c@400']);
    clock.increment(599);
    expect(expired).toEqual(['c@400']);
    clock.increment(1);
    expect(expired).toEqual(['c@400', 'a@1000']);
    clock.increment(100);
    expect(expired).toEqual(['c@400', 'a@1000', 'b@1100']);
    expect(a.deadline).toBeUndefined();
    expect(timers.set).toBeLessThanOrEqual(4);
  });

  it('a stopped item never expires; one started again expires from its new start', () => {
    const { clock, expired, deadlines } = setup();
    const a: Item = { name: 'a' };
    const b: Item = { name: 'b' };
    deadlines.start(a, 1000);
    deadlines.start(b, 1000);
    deadlines.stop(a);
    clock.increment(500);
    deadlines.stop(b);
    deadlines.start(b, 1000);
    clock.increment(999);
    expect(expired).toEqual([]);
    clock.increment(1);
    expect(expired).toEqual(['b@1500']);
  });

  it('sets no timer again once nothing is running, and holds none once cleared', () => {
    const { clock, timers, expired, deadlines } = setup();
    const items = Array.from({ length: 200 }, (_, i) => ({ name: `i${i}` }));
    for (const item of items) deadlines.start(item, 1000);
    expect(timers.set).toBe(1);
    for (const item of items) deadlines.stop(item);
    // One after the other, as sequential calls: the armed timer serves them all.
    for (const item of items) {
      deadlines.start(item, 1000);
      deadlines.stop(item);
    }
    expect(timers).toEqual({ set: 1, cleared: 0 });
    clock.increment(5000);
    expect(expired).toEqual([]);
    expect(timers.set).toBe(1);
    deadlines.start(items[0], 10);
    clock.increment(10);
    expect(expired).toEqual(['i0@5010']);
    deadlines.start(items[1], 1000);
    deadlines.stop(items[1]);
    deadlines.clear();
    expect(timers).toEqual({ set: 3, cleared: 1 });
  });

  it('an expiry that starts another item of the same timeout skips none of the due ones', () => {
    const clock = new SimulatedClock();
    const expired: string[] = [];
    const retry: Item = { name: 'retry' };
    const deadlines: Deadlines<Item> = new Deadlines<Item>(
      clock,
      () => clock.now(),
      (item) => {
        expired.push(`${item.name}@${clock.now()}`);
        if (item.name === 'a') deadlines.start(retry, 1000);
      },
    );
    const [a, b, c] = ['a', 'b', 'c'].map((name) => ({ name }));
    for (const item of [a, b, c]) deadlines.start(item, 1000);
    clock.increment(1000);
    expect(expired).toEqual(['a@1000', 'b@1000', 'c@1000']);
    clock.increment(1000);
    expect(expired).toEqual(['a@1000', 'b@1000', 'c@1000', 'retry@2000']);
  });

  it('expires what a timer stood for even when now() does not move (a clock without now)', () => {
    const pending: Array<() => void> = [];
    const manual = {
      setTimeout: (fn: () => void) => pending.push(fn),
      clearTimeout: () => {},
    };
    const expired: string[] = [];
    const deadlines = new Deadlines<Item>(
      manual,
      () => 0,
      (item) => expired.push(item.name),
    );
    deadlines.start({ name: 'a' }, 1000);
    pending.shift()?.();
    expect(expired).toEqual(['a']);
  });
});
