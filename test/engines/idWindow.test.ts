import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdWindow } from '../../src/engines/memory/idWindow.js';

/** What the window must behave like: the last `capacity` pairs added, oldest forgotten first. */
class Reference {
  private readonly entries = new Map<string, number>();
  constructor(private readonly capacity: number) {}
  get(room: string, id: string) {
    return this.entries.get(`${room}\u0000${id}`);
  }
  add(room: string, id: string, value: number) {
    if (this.capacity <= 0) return;
    if (this.entries.size === this.capacity) {
      const [oldest] = this.entries.keys();
      this.entries.delete(oldest);
    }
    this.entries.set(`${room}\u0000${id}`, value);
  }
}

describe('IdWindow', () => {
  it('answers like a map of the last capacity pairs, over any sequence of publishes', () => {
    const pair = fc.tuple(fc.constantFrom('a', 'b', 'ab', ''), fc.string({ maxLength: 3 }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.array(pair, { maxLength: 300 }),
        (cap, ops) => {
          const window = new IdWindow<number>(cap);
          const reference = new Reference(cap);
          ops.forEach(([room, id], value) => {
            expect(window.get(room, id)).toBe(reference.get(room, id));
            if (reference.get(room, id) !== undefined) return;
            window.add(room, id, value);
            reference.add(room, id, value);
          });
          for (const [room, id] of ops) expect(window.get(room, id)).toBe(reference.get(room, id));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers like the reference over many ids: its table grows, wraps and closes gaps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 500, maxLength: 2000 }),
        (cap, picks) => {
          const window = new IdWindow<number>(cap);
          const reference = new Reference(cap);
          picks.forEach((pick, value) => {
            const [room, id] = [`r${pick % 3}`, `m${pick}`];
            expect(window.get(room, id)).toBe(reference.get(room, id));
            if (reference.get(room, id) !== undefined) return;
            window.add(room, id, value);
            reference.add(room, id, value);
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('keys by room and id, not by their concatenation', () => {
    const window = new IdWindow<string>(4);
    window.add('ab', 'c', 'first');
    expect(window.get('a', 'bc')).toBeUndefined();
    expect(window.get('ab', 'c')).toBe('first');
  });
});
