import { afterEach, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';
import { createServer } from '../../src/server/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// SPEC §10: 10,000 subscriptions in one client (the timing is measured by bench/subscriptions.ts).
it('10,000 subscriptions in one client all reach subscribed', async () => {
  const server = createServer({ port: 0 });
  await server.start();
  cleanups.push(() => server.close());
  const client = createClient({ url: server.url });
  cleanups.push(() => client.disconnect());
  await client.connect();
  const subscriptions = Array.from({ length: 10_000 }, (_, i) => client.subscribe(`room-${i}`));
  await Promise.all(subscriptions.map((s) => s.ready()));
  expect(subscriptions.every((s) => s.state === 'subscribed')).toBe(true);
  expect(client.actors.subscriptions.size).toBe(10_000);
  // Messages still route to the right one.
  const last = subscriptions[9_999];
  const received = new Promise((resolve) => last.on('message', resolve));
  await server.publish('room-9999', 'e', 'last');
  expect(await received).toMatchObject({ room: 'room-9999', content: 'last' });
});
