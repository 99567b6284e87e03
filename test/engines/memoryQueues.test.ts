import { describe, expect, it } from 'vitest';
import { memoryEngine } from '../../src/engines/memory/memoryEngine.js';
import { MemoryQueues } from '../../src/engines/memory/memoryQueues.js';
import type { DeadLetter, EngineDelivery } from '../../src/engines/QueueEngine.js';
import type { StatewireError } from '../../src/errors/StatewireError.js';

function collector() {
  const deliveries: EngineDelivery[] = [];
  return { deliveries, deliver: (d: EngineDelivery) => deliveries.push(d) };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as StatewireError).code;
  }
  return undefined;
}

describe('MemoryQueues', () => {
  it('gives each item to exactly one consumer, round robin', async () => {
    const queues = new MemoryQueues();
    await queues.declare('jobs');
    const [a, b, c] = [collector(), collector(), collector()];
    await queues.consume('jobs', 'a', a.deliver);
    await queues.consume('jobs', 'b', b.deliver);
    await queues.consume('jobs', 'c', c.deliver);
    for (let i = 0; i < 30; i++) await queues.enqueue('jobs', { id: `m${i}`, data: i });
    expect([a, b, c].map((x) => x.deliveries.length)).toEqual([10, 10, 10]);
    const ids = [a, b, c].flatMap((x) => x.deliveries.map((d) => d.id));
    expect(new Set(ids).size).toBe(30);
  });

  it('redelivers what a lost consumer held to the others', async () => {
    const queues = new MemoryQueues();
    await queues.declare('jobs');
    const [a, b] = [collector(), collector()];
    const stopA = await queues.consume('jobs', 'a', a.deliver);
    await queues.consume('jobs', 'b', b.deliver);
    for (let i = 0; i < 4; i++) await queues.enqueue('jobs', { id: `m${i}`, data: i });
    for (const d of b.deliveries) await queues.ack('jobs', d.deliveryId, 'b');
    await stopA();
    const redelivered = b.deliveries.slice(2);
    expect(redelivered.map((d) => d.id)).toEqual(a.deliveries.map((d) => d.id));
    expect(redelivered.every((d) => d.attempt === 2)).toBe(true);
  });

  it('holds items until a consumer comes, and respects prefetch', async () => {
    const queues = new MemoryQueues({ prefetch: 2 });
    await queues.declare('jobs');
    for (let i = 0; i < 5; i++) await queues.enqueue('jobs', { id: `m${i}`, data: i });
    const a = collector();
    await queues.consume('jobs', 'a', a.deliver);
    expect(a.deliveries).toHaveLength(2);
    await queues.ack('jobs', a.deliveries[0].deliveryId, 'a');
    expect(a.deliveries).toHaveLength(3);
  });

  it('drops expired items, ignores repeated ids, and refuses a full queue', async () => {
    let now = 1000;
    const queues = new MemoryQueues({ maxLength: 2, now: () => now });
    await queues.declare('jobs');
    await queues.enqueue('jobs', { id: 'stale', data: 1, expiresInMs: 500 });
    await queues.enqueue('jobs', { id: 'fresh', data: 2 });
    await queues.enqueue('jobs', { id: 'fresh', data: 2 });
    expect(await codeOf(queues.enqueue('jobs', { id: 'third', data: 3 }))).toBe('UNAVAILABLE');
    now = 2000;
    const a = collector();
    await queues.consume('jobs', 'a', a.deliver);
    expect(a.deliveries.map((d) => d.id)).toEqual(['fresh']);
  });

  it('redelivers on nack and dead-letters after the last attempt', async () => {
    const letters: DeadLetter[] = [];
    const queues = new MemoryQueues({ maxAttempts: 2 });
    queues.onDeadLetter(() => {
      throw new Error('a failing listener does not stop the others');
    });
    const off = queues.onDeadLetter((l) => letters.push(l));
    await queues.declare('jobs');
    const a = collector();
    await queues.consume('jobs', 'a', a.deliver);
    await queues.enqueue('jobs', { id: 'm', data: 'x' });
    await queues.nack('jobs', a.deliveries[0].deliveryId, 'a', 'boom');
    expect(a.deliveries[1]).toMatchObject({ attempt: 2, maxAttempts: 2 });
    await queues.nack('jobs', a.deliveries[1].deliveryId, 'a', 'boom');
    expect(a.deliveries).toHaveLength(2);
    expect(letters).toEqual([{ queue: 'jobs', id: 'm', data: 'x', attempts: 2, reason: 'boom' }]);
    off();
    await queues.enqueue('jobs', { id: 'n', data: 'y' });
    await queues.nack('jobs', a.deliveries[2].deliveryId, 'a');
    await queues.nack('jobs', a.deliveries[3].deliveryId, 'a');
    expect(letters).toHaveLength(1);
  });

  it('requeues deliveries whose ack timed out', async () => {
    let now = 0;
    const queues = new MemoryQueues({ ackTimeoutMs: 100, now: () => now });
    await queues.declare('jobs');
    const a = collector();
    await queues.consume('jobs', 'a', a.deliver);
    await queues.enqueue('jobs', { id: 'm', data: 1 });
    now = 50;
    queues.expireUnacked();
    expect(a.deliveries).toHaveLength(1);
    now = 150;
    queues.expireUnacked();
    expect(a.deliveries.map((d) => d.attempt)).toEqual([1, 2]);
  });

  it('answers unknown queues and foreign deliveries with NOT_FOUND', async () => {
    const queues = new MemoryQueues();
    expect(await codeOf(queues.enqueue('nope', { id: 'm', data: 1 }))).toBe('NOT_FOUND');
    await queues.declare('jobs');
    const a = collector();
    await queues.consume('jobs', 'a', a.deliver);
    await queues.enqueue('jobs', { id: 'm', data: 1 });
    expect(await codeOf(queues.ack('jobs', a.deliveries[0].deliveryId, 'b'))).toBe('NOT_FOUND');
    expect(await codeOf(queues.ack('jobs', 'unknown', 'a'))).toBe('NOT_FOUND');
  });

  it('describes owner, length and consumers', async () => {
    const queues = new MemoryQueues();
    expect(await queues.describe('tmp.x')).toBeUndefined();
    await queues.declare('tmp.x', { owner: 'alice' });
    await queues.enqueue('tmp.x', { id: 'm', data: 1 });
    expect(await queues.describe('tmp.x')).toEqual({ owner: 'alice', length: 1, consumers: 0 });
    const stop = await queues.consume('tmp.x', 'a', () => {});
    expect(await queues.describe('tmp.x')).toEqual({ owner: 'alice', length: 1, consumers: 1 });
    await stop();
    await queues.remove('tmp.x');
    expect(await queues.describe('tmp.x')).toBeUndefined();
  });
});

describe('memoryEngine queues', () => {
  it('redelivers a delivery whose ack timed out once started', async () => {
    const engine = memoryEngine({ queues: { ackTimeoutMs: 5 } });
    await engine.queues.declare('jobs');
    const attempts: number[] = [];
    let redelivered!: () => void;
    const second = new Promise<void>((resolve) => {
      redelivered = resolve;
    });
    await engine.queues.consume('jobs', 'a', (d) => {
      attempts.push(d.attempt);
      if (d.attempt === 2) redelivered();
    });
    await engine.start();
    await engine.queues.enqueue('jobs', { id: 'm', data: 1 });
    await second;
    await engine.close();
    expect(attempts.slice(0, 2)).toEqual([1, 2]);
  });
});
