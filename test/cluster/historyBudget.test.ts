import { afterEach, describe, expect, it } from 'vitest';
import { type Client, createClient, type Message } from '../../src/index.js';
import { createServer, redisEngine, type Server } from '../../src/server/index.js';
import { nextEvent } from '../../src/testing/index.js';
import { Inbox, REDIS_URL } from '../engines/contract/fixtures.js';
import { clusterPrefix, NodeProxy, stopAll } from './nodes.js';

/* history.maxTotalBytes over two nodes: a gap the budget trimmed is told, never hidden. */

const clients: Client[] = [];
const servers: Server[] = [];
const proxies: NodeProxy[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.disconnect()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopAll();
});

async function node(prefix: string): Promise<Server> {
  const engine = redisEngine({ url: REDIS_URL, prefix, history: { maxTotalBytes: 16 * 1024 } });
  const server = createServer({ port: 0, engine });
  servers.push(server);
  await server.start();
  return server;
}

function client(url: string, uid: string): Client {
  const made = createClient({ url, uid, reconnect: { minDelayMs: 10, maxDelayMs: 100 } });
  clients.push(made);
  return made;
}

describe('the history budget of all rooms, across nodes', () => {
  it('a client resubscribing from a position the budget trimmed is told recovered: false', async () => {
    const prefix = clusterPrefix();
    const [a, b] = [await node(prefix), await node(prefix)];
    const proxy = new NodeProxy(a.url);
    proxies.push(proxy);
    await proxy.start();
    const reader = client(proxy.url, 'reader');
    const sub = reader.subscribe('feed');
    const got = new Inbox<Message>();
    sub.on('message', got.push);
    await sub.ready();
    const writer = client(b.url, 'writer');
    await writer.publish('feed', 'n', 1);
    await got.until(1);

    const lost = nextEvent(reader, 'disconnected');
    proxy.cut();
    await lost;
    await writer.publish('feed', 'n', 2);
    // Other rooms fill the budget: the oldest messages, feed's among them, go first.
    for (let i = 0; i < 8; i++) await writer.publish(`other${i % 3}`, 'big', 'x'.repeat(4096));
    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    proxy.pointAt(b.url);
    expect(await recovered).toMatchObject({ recovered: false });
    await writer.publish('feed', 'n', 3);
    const after = await got.until(2);
    expect(after.at(-1)).toMatchObject({ content: 3, offset: 3 });
  });
});
