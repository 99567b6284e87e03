import { afterEach, describe, expect, it } from 'vitest';
import { memoryEngine } from '../../src/server/index.js';
import { closeServers, type Frame, signIn, startServer, type TestClient } from './helpers.js';

afterEach(closeServers);

/** Guard so a lost message fails the test instead of hanging it. */
const WAIT_LIMIT_MS = 10_000;

/** Every qmsg each consumer got, in arrival order, and a way to wait for a total. */
class Deliveries {
  readonly byConsumer = new Map<string, Frame[]>();
  private waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];

  /** Records `client`'s qmsg frames; with `ack`, acks each received frame's deliveries at once. */
  watch(name: string, client: TestClient, ack: boolean): void {
    const got: Frame[] = [];
    this.byConsumer.set(name, got);
    client.ws.on('message', (data) => {
      const parsed = JSON.parse(data.toString());
      const frames: Frame[] = (Array.isArray(parsed) ? parsed : [parsed]).filter(
        (f: Frame) => f.type === 'qmsg',
      );
      if (frames.length === 0) return;
      got.push(...frames);
      if (ack) {
        client.send(
          frames.map((f) => ({ type: 'qack', queue: f.queue, deliveryId: f.deliveryId })),
        );
      }
      this.check();
    });
  }

  of(name: string): Frame[] {
    return this.byConsumer.get(name) ?? [];
  }

  until(ready: () => boolean, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}`)),
        WAIT_LIMIT_MS,
      );
      this.waiters.push({
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.ready()) return true;
      w.resolve();
      return false;
    });
  }
}

/** Publishes `count` messages with ids `${prefix}${i}` in batch frames; resolves on every answer. */
async function publishMany(producer: TestClient, queue: string, prefix: string, count: number) {
  const answers = new Map<number, Frame>();
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const ids = new Set<number>();
  const onMessage = (data: Buffer) => {
    const parsed = JSON.parse(data.toString());
    for (const f of Array.isArray(parsed) ? parsed : [parsed]) {
      if (f.type === 'res' && ids.has(f.id)) answers.set(f.id, f);
    }
    if (answers.size === count) done();
  };
  producer.ws.on('message', onMessage);
  const BATCH = 100;
  for (let start = 0; start < count; start += BATCH) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const id = producer.id();
      ids.add(id);
      batch.push({ type: 'qpub', id, queue, data: i, mid: `${prefix}${i}` });
    }
    producer.send(batch);
  }
  await all;
  producer.ws.off('message', onMessage);
  expect([...answers.values()].filter((a) => a.error)).toEqual([]);
}

function countIds(frames: Frame[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of frames) counts.set(f.id, (counts.get(f.id) ?? 0) + 1);
  return counts;
}

describe('competing consumers under load', () => {
  it('three consumers share 3,000 messages: each delivered exactly once', async () => {
    const server = await startServer();
    const producer = await signIn(server.url, 'producer');
    const deliveries = new Deliveries();
    const names = ['a', 'b', 'c'];
    for (const name of names) {
      const consumer = await signIn(server.url, `consumer-${name}`);
      deliveries.watch(name, consumer, true);
      await consumer.call({ type: 'qreg', queue: 'jobs' });
    }
    const all = () => names.flatMap((n) => deliveries.of(n));
    const total = 3000;
    await publishMany(producer, 'jobs', 'm', total);
    await deliveries.until(() => all().length >= total, `${total} deliveries`);

    const counts = countIds(all());
    expect(counts.size).toBe(total);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(all().every((f) => f.attempt === 1)).toBe(true);
    const perConsumer = names.map((n) => deliveries.of(n).length);
    expect(perConsumer.every((n) => n > 0)).toBe(true);
  });

  it('a consumer killed with unacked deliveries: the others get them, none lost or doubled', async () => {
    const prefetch = 16;
    const server = await startServer({ engine: memoryEngine({ queues: { prefetch } }) });
    const producer = await signIn(server.url, 'producer');
    const deliveries = new Deliveries();
    const clients = new Map<string, TestClient>();
    for (const name of ['a', 'b', 'victim']) {
      const consumer = await signIn(server.url, `consumer-${name}`);
      clients.set(name, consumer);
      // The victim never acks: it dies holding a full prefetch window.
      deliveries.watch(name, consumer, name !== 'victim');
      await consumer.call({ type: 'qreg', queue: 'jobs' });
    }
    const survivors = () => [...deliveries.of('a'), ...deliveries.of('b')];
    const acked = () => new Set(survivors().map((f) => f.id));

    await publishMany(producer, 'jobs', 'first-', 150);
    await deliveries.until(
      () => deliveries.of('victim').length === prefetch && acked().size === 150 - prefetch,
      'the first half',
    );
    clients.get('victim')!.ws.terminate();
    await publishMany(producer, 'jobs', 'second-', 150);
    await deliveries.until(() => acked().size === 300, 'all 300 acked by the survivors');

    const held = deliveries.of('victim').map((f) => f.id);
    expect(held).toHaveLength(prefetch);
    const counts = countIds(survivors());
    expect(counts.size).toBe(300);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const redelivered = survivors().filter((f) => f.attempt === 2);
    expect(redelivered.map((f) => f.id).sort()).toEqual([...held].sort());
  });
});
