import { afterEach, describe, expect, it } from 'vitest';
import { type Client, createClient, type Message, type Subscription } from '../../src/index.js';
import { nextEvent } from '../../src/testing/index.js';
import { Inbox } from '../engines/contract/fixtures.js';
import { type Frame, signIn, subscribe, type TestClient } from '../server/helpers.js';
import {
  clusterPrefix,
  freePort,
  LEASE_MS,
  NodeProxy,
  OwnRedis,
  startNode,
  stopAll,
} from './nodes.js';

/* Several real `statewire serve --redis` processes on one Redis act as one broker. */

const clients: Client[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.disconnect()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await stopAll();
});

function client(url: string, uid: string): Client {
  const made = createClient({ url, uid, reconnect: { minDelayMs: 10, maxDelayMs: 100 } });
  clients.push(made);
  return made;
}

function messages(sub: Subscription): Inbox<Message> {
  const inbox = new Inbox<Message>();
  sub.on('message', inbox.push);
  return inbox;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('three server processes on one Redis', () => {
  it('fan out once with one offset sequence; presence, rpc and queues are shared', async () => {
    const prefix = clusterPrefix();
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => startNode(prefix)));
    const onB = client(b.url, 'bea');
    const onC = client(c.url, 'cem');
    const subB = onB.subscribe('room');
    const subC = onC.subscribe('room');
    const [gotB, gotC] = [messages(subB), messages(subC)];
    await Promise.all([subB.ready(), subC.ready()]);
    const publisher = client(a.url, 'ada');
    const acks = [];
    for (let i = 1; i <= 30; i++) acks.push(await publisher.publish('room', 'n', i));
    expect(acks.map((ack) => ack.offset)).toEqual(range(1, 30));
    for (const got of [gotB, gotC]) {
      await got.until(30);
      expect(got.items.map((m) => m.offset)).toEqual(range(1, 30));
      expect(got.items.map((m) => m.content)).toEqual(range(1, 30));
    }
    expect((await publisher.presence('room')).sort()).toEqual(['bea', 'cem']);

    // rpc: the worker consumes on B, the caller asks on C.
    await onB.registerQueue('double', ({ data }) => (data as number) * 2);
    expect(await onC.rpc('double', 21, { timeoutMs: 5000 })).toBe(42);
    // Competing consumers on two nodes, each message to one of them.
    const worked = new Inbox<string>();
    await onB.registerQueue('jobs', ({ data }) => worked.push(`b${data}`));
    await onC.registerQueue('jobs', ({ data }) => worked.push(`c${data}`));
    for (let i = 0; i < 20; i++) await publisher.queueMessage('jobs', i);
    await worked.until(20);
    expect(new Set(worked.items.map((w) => Number(w.slice(1)))).size).toBe(20);
    expect(worked.items.some((w) => w.startsWith('b'))).toBe(true);
    expect(worked.items.some((w) => w.startsWith('c'))).toBe(true);
  });

  it('a client that reconnects to another node recovers what it missed, once', async () => {
    const prefix = clusterPrefix();
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => startNode(prefix)));
    const proxy = new NodeProxy(b.url);
    await proxy.start();
    cleanups.push(() => proxy.close());
    const reader = client(proxy.url, 'reader');
    const sub = reader.subscribe('feed');
    const got = messages(sub);
    await sub.ready();
    const publisher = client(a.url, 'writer');
    for (let i = 1; i <= 5; i++) await publisher.publish('feed', 'n', i);
    await got.until(5);

    const lost = nextEvent(reader, 'disconnected');
    proxy.cut();
    await lost;
    for (let i = 6; i <= 12; i++) await publisher.publish('feed', 'n', i);
    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    proxy.pointAt(c.url);
    expect(await recovered).toEqual({ recovered: true, missed: 7 });
    await publisher.publish('feed', 'n', 13);
    await got.until(13);
    expect(got.items.map((m) => m.offset)).toEqual(range(1, 13));
  });

  it('a SIGKILLed node: its members leave within the lease, its unacked jobs go elsewhere', async () => {
    const prefix = clusterPrefix();
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => startNode(prefix)));
    const observer = await signIn(a.url, 'observer');
    await subscribe(observer, 'lobby');
    const alice = await signIn(b.url, 'alice');
    await subscribe(alice, 'lobby');
    expect(await observer.next('join', (f) => f.uid === 'alice')).toMatchObject({ room: 'lobby' });

    await alice.call({ type: 'qreg', queue: 'jobs' });
    await observer.call({ type: 'qpub', queue: 'jobs', data: 'work', mid: 'job-1' });
    expect(await alice.next('qmsg')).toMatchObject({ id: 'job-1', attempt: 1 });
    const other = await signIn(c.url, 'other');
    await other.call({ type: 'qreg', queue: 'jobs' });

    const killedAt = Date.now();
    b.process.child.kill('SIGKILL');
    expect(await b.process.exit).toMatchObject({ signal: 'SIGKILL' });
    const leave = await waitFrame(observer, 'leave', (f) => f.uid === 'alice');
    expect(leave).toMatchObject({ room: 'lobby', uid: 'alice' });
    const redelivered = await waitFrame(other, 'qmsg');
    expect(redelivered).toMatchObject({ id: 'job-1', data: 'work', attempt: 2 });
    // The bound of SPEC §2 (leaseMs plus about a second), with room for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS * 3);
    expect((await observer.call({ type: 'presence', room: 'lobby' })).members).toEqual([
      'observer',
    ]);
  });

  it('Redis down: calls reject UNAVAILABLE, sessions stay; Redis back empty: recovered false', async () => {
    const redis = new OwnRedis(await freePort());
    await redis.start();
    cleanups.push(() => redis.kill());
    const node = await startNode(clusterPrefix(), redis.url);
    const reader = client(node.url, 'reader');
    const sub = reader.subscribe('news');
    const got = messages(sub);
    await sub.ready();
    await reader.publish('news', 'n', 1);
    await got.until(1);

    await redis.kill();
    await expect(reader.publish('news', 'n', 2)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(reader.presence('news')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(reader.isConnected).toBe(true);

    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    await redis.start();
    expect(await recovered).toEqual({ recovered: false, missed: 0 });
    const after = await reader.publish('news', 'n', 3);
    expect(after.offset).toBe(1);
    await got.until(2);
    expect(got.items.map((m) => m.content)).toEqual([1, 3]);
  });
});

/** The next frame of `type`, waiting up to the lease plus a margin (the reaper's pace). */
async function waitFrame(
  client: TestClient,
  type: string,
  where: (frame: Frame) => boolean = () => true,
) {
  for (let tries = 0; tries < 3; tries++) {
    try {
      return await client.next(type, where);
    } catch {}
  }
  throw new Error(`no ${type} frame within ${3 * 5000} ms`);
}
