import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/engines/Engine.js';
import { type EngineFixture, pub, REDIS_URL } from './fixtures.js';

const kib = (n: number) => 'x'.repeat(n * 1024);
const offsetsOf = async (engine: Engine, room: string) =>
  (await engine.history(room, {})).messages.map((m) => m.offset);

/** `history.maxTotalBytes`: one byte budget for the history of all rooms together. */
export function historyBudgetContract(fixture: EngineFixture): void {
  describe(`${fixture.name}: history budget of all rooms`, () => {
    afterEach(() => fixture.cleanup());

    it('keeps at most maxTotalBytes over all rooms, the oldest of any room first', async () => {
      const engine = await fixture.make({ history: { maxTotalBytes: 10 * 1024 } });
      await engine.publish(pub('a', 'a1', kib(3)));
      await engine.publish(pub('b', 'b1', kib(3)));
      await engine.publish(pub('a', 'a2', kib(3)));
      expect(await offsetsOf(engine, 'a')).toEqual([1, 2]);
      await engine.publish(pub('c', 'c1', kib(3)));
      expect(await offsetsOf(engine, 'a')).toEqual([2]);
      expect(await offsetsOf(engine, 'b')).toEqual([1]);
      expect(await offsetsOf(engine, 'c')).toEqual([1]);
      const { epoch } = await engine.position('a');
      const resumed = await engine.history('a', { since: { epoch, offset: 0 } });
      expect(resumed).toMatchObject({ complete: false, offset: 2 });
      expect((await engine.history('a', { since: { epoch, offset: 1 } })).complete).toBe(true);
    });

    it('trims within one batch of publishes to several rooms', async () => {
      const engine = await fixture.make({ history: { maxTotalBytes: 10 * 1024 } });
      const stored = await Promise.all(
        ['a', 'b', 'a', 'c', 'b', 'a'].map((room, i) => engine.publish(pub(room, `m${i}`, kib(3)))),
      );
      expect(stored.map((m) => m.offset)).toEqual([1, 1, 2, 1, 2, 3]);
      const kept = [
        ...(await offsetsOf(engine, 'a')).map((o) => `a${o}`),
        ...(await offsetsOf(engine, 'b')).map((o) => `b${o}`),
        ...(await offsetsOf(engine, 'c')).map((o) => `c${o}`),
      ];
      expect(kept.sort()).toEqual(['a3', 'b2', 'c1']);
    });

    it('a message larger than the whole budget is delivered but not kept', async () => {
      const engine = await fixture.make({ history: { maxTotalBytes: 2 * 1024 } });
      await engine.publish(pub('a', 'small', 's'));
      const big = await engine.publish(pub('a', 'big', kib(3)));
      expect(big.offset).toBe(2);
      expect(await engine.history('a', {})).toMatchObject({ messages: [], offset: 2 });
      expect((await engine.publish(pub('a', 'after', 's'))).offset).toBe(3);
      expect(await offsetsOf(engine, 'a')).toEqual([3]);
    });

    if (fixture.sharesState)
      it('bounds all nodes together', async () => {
        const [a, b] = await Promise.all(
          [1, 2].map(() => fixture.make({ history: { maxTotalBytes: 10 * 1024 } }, 'budget')),
        );
        await a.publish(pub('a', 'a1', kib(3)));
        await b.publish(pub('b', 'b1', kib(3)));
        await a.publish(pub('a', 'a2', kib(3)));
        await b.publish(pub('c', 'c1', kib(3)));
        expect(await offsetsOf(b, 'a')).toEqual([2]);
        expect(await offsetsOf(a, 'b')).toEqual([1]);
        expect(await offsetsOf(a, 'c')).toEqual([1]);
      });

    if (fixture.prefixOf)
      it('gives back what a room held once its keys are gone (a new epoch)', async () => {
        const engine = await fixture.make({ history: { maxTotalBytes: 10 * 1024 } }, 'lost');
        await engine.publish(pub('a', 'a1', kib(3)));
        await engine.publish(pub('a', 'a2', kib(3)));
        await engine.publish(pub('b', 'b1', kib(3)));
        const before = await engine.position('a');
        const redis = new Redis(REDIS_URL);
        const prefix = fixture.prefixOf?.('lost');
        await redis.del(`${prefix}:r:{a}:m`, `${prefix}:r:{a}:h`);
        redis.disconnect();
        const after = await engine.position('a');
        expect(after.epoch).not.toBe(before.epoch);
        await engine.publish(pub('c', 'c1', kib(3)));
        await engine.publish(pub('d', 'd1', kib(3)));
        expect(await offsetsOf(engine, 'b')).toEqual([1]);
        expect(await offsetsOf(engine, 'c')).toEqual([1]);
        expect(await offsetsOf(engine, 'd')).toEqual([1]);
      });
  });
}
