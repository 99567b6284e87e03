import { afterEach, describe, expect, it } from 'vitest';
import { type Engine, memoryEngine } from '../../src/server/index.js';
import { closeServers, connect, roundTrip, signIn, startServer, subscribe } from './helpers.js';

afterEach(closeServers);

describe('server.stats()', () => {
  it('counts connections, sessions, rooms, consumers and history bytes', async () => {
    const server = await startServer({ engine: memoryEngine() });
    expect(server.stats()).toEqual({
      connections: 0,
      sessions: 0,
      rooms: 0,
      consumers: 0,
      historyBytes: 0,
    });

    const alice = await signIn(server.url, 'alice');
    const worker = await signIn(server.url, 'worker');
    const bob = await connect(server.url, { uid: 'bob' });
    // Open but not yet welcomed: a connection, no session.
    expect(server.stats()).toMatchObject({ connections: 3, sessions: 2 });
    await subscribe(alice, 'lobby');
    await subscribe(alice, 'news');
    await subscribe(worker, 'lobby');
    await worker.call({ type: 'qreg', queue: 'jobs' });
    await alice.call({ type: 'pub', room: 'lobby', event: 'chat', content: 'x'.repeat(1000) });
    await bob.next('welcome');
    await roundTrip(alice);

    const stats = server.stats();
    // lobby, news and the uid rooms of alice, worker and bob
    expect(stats).toMatchObject({ connections: 3, sessions: 3, rooms: 5, consumers: 1 });
    expect(stats.connections).toBe(server.connections);
    expect(stats.historyBytes).toBeGreaterThan(1000);

    await worker.close();
    await bob.close();
    await alice.call({ type: 'unsub', room: 'news' });
    expect(server.stats()).toMatchObject({ connections: 1, sessions: 1, rooms: 2, consumers: 0 });
    await alice.close();
  });

  it('reports historyBytes null for an engine that does not tell', async () => {
    const { historyBytes: _, ...untold } = memoryEngine();
    const server = await startServer({ engine: untold as Engine });
    expect(server.stats().historyBytes).toBeNull();
  });
});
