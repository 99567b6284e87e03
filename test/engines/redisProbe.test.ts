import { connect, createServer, type Socket } from 'node:net';
import { nanoid } from 'nanoid';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, redisEngine } from '../../src/engines/redis/index.js';
import { deleteKeys, pub, REDIS_URL, recorder } from './contract/fixtures.js';

/** A TCP proxy to the test Redis whose open connections can be frozen: open, yet silent. */
async function freezingProxy() {
  const target = new URL(REDIS_URL);
  const open = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    open.add(pair);
    for (const socket of pair) {
      socket.on('error', () => {});
      socket.on('close', () => {
        open.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    /** Existing connections stop carrying bytes (both ways) but stay open; new ones work. */
    freeze() {
      for (const [client, upstream] of open) {
        client.unpipe();
        upstream.unpipe();
        client.pause();
        upstream.pause();
      }
      open.clear();
    },
    async close() {
      server.close();
      for (const [client, upstream] of open) {
        client.destroy();
        upstream.destroy();
      }
    },
  };
}

const engines: RedisEngine[] = [];
const prefixes: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  for (const close of closers.splice(0)) await close();
  await deleteKeys(prefixes.splice(0));
});

describe('redisEngine connection probe', () => {
  it('a node whose Redis connections went silent reconnects and catches up', async () => {
    const proxy = await freezingProxy();
    closers.push(() => proxy.close());
    const prefix = `swtest:${nanoid(8)}`;
    prefixes.push(prefix);
    const silent = redisEngine({ url: proxy.url, prefix, probeMs: 200 });
    const other = redisEngine({ url: REDIS_URL, prefix });
    engines.push(silent, other);
    await Promise.all([silent.start(), other.start()]);
    const r = recorder();
    await silent.listen('room', r.listener);
    await other.publish(pub('room', 'before'));
    await r.messages.until(1);

    proxy.freeze();
    for (let i = 1; i <= 3; i++) await other.publish(pub('room', `frozen${i}`));
    // Nothing arrives on the frozen connection: only the probe's reconnect brings these.
    const got = await r.messages.until(4);
    expect(got.map((m) => m.id)).toEqual(['before', 'frozen1', 'frozen2', 'frozen3']);
    expect(await silent.members('room')).toEqual([]);
  });
});
