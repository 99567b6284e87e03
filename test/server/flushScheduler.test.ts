import { describe, expect, it } from 'vitest';
import { FlushScheduler } from '../../src/server/flushScheduler.js';
import { turn } from './helpers.js';

describe('FlushScheduler', () => {
  it('flushes the whole batch when one item throws, and reports the error', async () => {
    const errors: Array<[unknown, string]> = [];
    const scheduler = new FlushScheduler((error, where) => errors.push([error, where]));
    const flushed: string[] = [];
    const item = (name: string, fails = false) => ({
      flush() {
        flushed.push(name);
        if (fails) throw new Error(`${name} broke`);
      },
    });
    scheduler.schedule(item('a'));
    scheduler.schedule(item('b', true));
    scheduler.schedule(item('c'));
    await turn();
    expect(flushed).toEqual(['a', 'b', 'c']);
    expect(errors).toEqual([[new Error('b broke'), 'flush']]);

    scheduler.schedule(item('d'));
    await turn();
    expect(flushed).toEqual(['a', 'b', 'c', 'd']);
  });
});
