import { afterEach, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';
import { createServer } from '../../src/server/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

it('e2e smoke', async () => {
  const server = createServer({ port: 0 });
  await server.start();
  cleanups.push(() => server.close());
  const client = createClient({ url: server.url, uid: 'alice' });
  cleanups.push(() => client.disconnect());
  await client.connect();
  const got: unknown[] = [];
  const sub = client.subscribe('r1', (m) => got.push(m));
  await sub.ready();
  const ack = await client.publish('r1', 'hello', { x: 1 });
  expect(ack.offset).toBe(1);
  await expect.poll(() => got.length).toBe(1);
  expect(got[0]).toMatchObject({
    room: 'r1',
    event: 'hello',
    content: { x: 1 },
    offset: 1,
    from: 'alice',
  });
  expect(typeof (await client.ping())).toBe('number');
  server.on('add', (c: any) => c.a + c.b);
  expect(await client.request('add', { a: 1, b: 2 })).toBe(3);
  const page = await client.history('r1');
  expect(page.messages).toHaveLength(1);
  expect(await client.presence('r1')).toEqual(['alice']);
});
