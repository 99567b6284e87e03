import { describe, expect, it } from 'vitest';
import { memoryEngine } from '../../src/engines/memory/index.js';
import { nextEvent } from '../../src/testing/index.js';
import { client, collect, startServer } from './e2eHelpers.js';

/*
 * A restart of one server whose memory engine outlives close(). Not part of the Redis pass:
 * a closed Redis engine cannot publish; test/cluster covers recovery across restarted nodes
 * and a restarted Redis.
 */
describe('server restart', () => {
  it('server restarted mid-stream: the client resubscribes and recovers what was published meanwhile', async () => {
    const server = await startServer({ engine: memoryEngine() });
    const c = client({ url: server.url, uid: 'reader' });
    const sub = c.subscribe('stream');
    const got = collect(sub);
    await sub.ready();
    await server.publish('stream', 'tick', 1);
    await server.publish('stream', 'tick', 2);
    await got.untilOffset(2);

    const lost = nextEvent(c, 'disconnected');
    await server.close();
    expect(await lost).toMatchObject({ code: 1001, willReconnect: true });
    // Published while the client is away (the memory engine outlives close()).
    await server.publish('stream', 'tick', 3);
    await server.publish('stream', 'tick', 4);
    await server.publish('stream', 'tick', 5);
    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    await server.start();
    expect(await recovered).toEqual({ recovered: true, missed: 3 });
    await got.untilOffset(5);
    await server.publish('stream', 'tick', 6);
    await got.untilOffset(6);
    expect(got.offsets()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
