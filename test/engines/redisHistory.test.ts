import { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, redisEngine } from '../../src/engines/redis/index.js';
import { deleteKeys, pub, REDIS_URL } from './contract/fixtures.js';

/** How the Redis engine lays out a room's history: what the engine contract cannot see. */
const engines: RedisEngine[] = [];
const prefixes: string[] = [];
const redis = new Redis(REDIS_URL);
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await deleteKeys(prefixes.splice(0));
});
afterAll(() => redis.disconnect());

async function engineOn(options: Parameters<typeof redisEngine>[0]['history'] = {}) {
  const prefix = `swtest:${nanoid(8)}`;
  prefixes.push(prefix);
  const engine = redisEngine({ url: REDIS_URL, prefix, history: options });
  engines.push(engine);
  await engine.start();
  const keys = (room: string) => ({
    meta: `${prefix}:r:{${room}}:m`,
    history: `${prefix}:r:{${room}}:h`,
  });
  return { engine, prefix, keys };
}

describe('redisEngine history keys', () => {
  it('counts exactly the bytes it holds, through batches, repeats and trims', async () => {
    const { engine, prefix, keys } = await engineOn({ size: 7, maxTotalBytes: 1024 * 1024 });
    const publishes = Array.from({ length: 40 }, (_, i) =>
      engine.publish(pub(i % 3 ? 'a' : 'b', `m${i % 25}`, 'x'.repeat(i))),
    );
    await Promise.all(publishes);
    let total = 0;
    for (const room of ['a', 'b']) {
      const { meta, history } = keys(room);
      const [top, first, bytes] = (await redis.hmget(meta, 'o', 'f', 'b')).map(Number);
      const values = await redis.hgetall(history);
      expect(
        Object.keys(values)
          .map(Number)
          .sort((x, y) => x - y),
      ).toEqual(Array.from({ length: top - first + 1 }, (_, i) => first + i));
      const page = await engine.history(room, {});
      const held = page.messages.reduce(
        (sum, m) =>
          sum + JSON.stringify([m.event, m.id]).length + 1 + JSON.stringify(m.content).length + 96,
        0,
      );
      expect(bytes).toBe(held);
      total += held;
    }
    expect(Number(await redis.hget(`${prefix}:hist`, 't'))).toBe(total);
  });

  it('starts a new epoch over a history in the former layout (a stream, no first offset)', async () => {
    const { engine, keys } = await engineOn();
    const { meta, history } = keys('a');
    await redis.hset(meta, 'e', 'former', 'o', 3, 'b', 300);
    await redis.xadd(history, '3-0', 'a', 1, 'b', 'x');
    const position = await engine.position('a');
    expect(position).not.toMatchObject({ epoch: 'former' });
    expect(position.offset).toBe(0);
    expect((await engine.publish(pub('a', 'm1'))).offset).toBe(1);
    expect((await engine.history('a', {})).messages.map((m) => m.id)).toEqual(['m1']);
  });

  it('reads a history whose hash went without its meta as incomplete', async () => {
    const { engine, keys } = await engineOn();
    const { epoch } = await engine.publish(pub('a', 'm1'));
    await engine.publish(pub('a', 'm2'));
    await redis.del(keys('a').history);
    const page = await engine.history('a', { since: { epoch, offset: 0 } });
    expect(page).toMatchObject({ epoch, offset: 2, messages: [], complete: false });
    expect((await engine.publish(pub('a', 'm3'))).offset).toBe(3);
  });
});
