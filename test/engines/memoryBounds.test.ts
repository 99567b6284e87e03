import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { PublishInput } from '../../src/engines/Engine.js';
import { memoryEngine } from '../../src/engines/memory/index.js';
import { MemoryQueues } from '../../src/engines/memory/memoryQueues.js';
import type { DeadLetter, EngineDelivery } from '../../src/engines/QueueEngine.js';

let ids = 0;
const pub = (room: string, content: unknown = 'x'): PublishInput => ({
  room,
  event: 'e',
  content: content as PublishInput['content'],
  id: `m${++ids}`,
});
const kib = (n: number) => 'x'.repeat(n * 1024);
const noListener = { message: () => {}, presence: () => {} };

describe('memory engine: everything a client can make it hold is bounded', () => {
  it('keeps at most history.maxBytes per room, oldest dropped first', async () => {
    const engine = memoryEngine({ history: { maxBytes: 10 * 1024 } });
    for (let i = 0; i < 5; i++) await engine.publish(pub('a', kib(3)));
    const page = await engine.history('a', {});
    expect(page.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
    expect(page.complete).toBe(false);
    expect(engine.historyBytes()).toBeLessThanOrEqual(10 * 1024);
  });

  it('keeps at most history.maxTotalBytes over all rooms, the oldest of any room first', async () => {
    const engine = memoryEngine({ history: { maxTotalBytes: 10 * 1024 } });
    await engine.publish(pub('a', kib(3)));
    await engine.publish(pub('b', kib(3)));
    await engine.publish(pub('a', kib(3)));
    expect(engine.historyBytes()).toBeLessThanOrEqual(10 * 1024);
    await engine.publish(pub('c', kib(3)));
    expect((await engine.history('a', {})).messages.map((m) => m.offset)).toEqual([2]);
    expect((await engine.history('b', {})).messages).toHaveLength(1);
    expect((await engine.history('c', {})).messages).toHaveLength(1);
    const since = { epoch: engine.epoch, offset: 0 };
    expect((await engine.history('a', { since })).complete).toBe(false);
  });

  it('a message larger than the room budget is delivered but not kept', async () => {
    const engine = memoryEngine({ history: { maxBytes: 1024 } });
    const heard: number[] = [];
    await engine.listen('a', { ...noListener, message: (m) => heard.push(m.offset) });
    await engine.publish(pub('a', kib(2)));
    expect(heard).toEqual([1]);
    expect(await engine.history('a', {})).toMatchObject({ messages: [], offset: 1 });
    expect(engine.historyBytes()).toBe(0);
  });

  it('the dedupe window keeps no content once history dropped it, and still answers a repeat', async () => {
    const engine = memoryEngine({ history: { size: 1 } });
    const first = await engine.publish({ ...pub('a', kib(64)), id: 'same' });
    await engine.publish(pub('a'));
    const again = await engine.publish({ ...pub('a', kib(64)), id: 'same' });
    expect(again).toMatchObject({ offset: first.offset, epoch: first.epoch, id: 'same' });
    expect((await engine.position('a')).offset).toBe(2);
  });

  it('the dedupe window is per room and holds the last dedupeWindow ids over all rooms', async () => {
    const engine = memoryEngine({ dedupeWindow: 2 });
    await engine.publish({ ...pub('a'), id: 'x' });
    // The same id in another room is another message.
    expect(await engine.publish({ ...pub('b'), id: 'x' })).toMatchObject({ offset: 1 });
    expect(await engine.publish({ ...pub('b'), id: 'x' })).toMatchObject({ offset: 1 });
    await engine.publish({ ...pub('c'), id: 'y' });
    // ('a', 'x') was the oldest of the two kept ids over all rooms: it is stored again.
    expect(await engine.publish({ ...pub('a'), id: 'x' })).toMatchObject({ offset: 2 });
    expect(await engine.publish({ ...pub('c'), id: 'y' })).toMatchObject({ offset: 1 });
  });

  it('forgets the oldest idle room past maxIdleRooms; it comes back under a new epoch', async () => {
    const engine = memoryEngine({ history: { size: 0, maxIdleRooms: 2 } });
    const off = await engine.listen('kept', noListener);
    await engine.publish(pub('kept'));
    for (const room of ['r1', 'r2', 'r3']) await engine.publish(pub(room));
    expect(await engine.position('r1')).toEqual({ epoch: expect.any(String), offset: 0 });
    const forgotten = await engine.position('r1');
    expect(forgotten.epoch).not.toBe(engine.epoch);
    expect(await engine.position('r3')).toEqual({ epoch: engine.epoch, offset: 1 });
    expect(await engine.position('kept')).toEqual({ epoch: engine.epoch, offset: 1 });
    const back = await engine.publish(pub('r1'));
    expect(back).toMatchObject({ offset: 1, epoch: forgotten.epoch });
    const old = await engine.history('r1', { since: { epoch: engine.epoch, offset: 1 } });
    expect(old).toMatchObject({ messages: [], complete: false });
    await off();
  });

  it('uid claims expire ttlMs after their last renewal and are capped in count', async () => {
    let now = 1_000;
    const engine = memoryEngine({ now: () => now, uidClaims: { ttlMs: 100, max: 2 } });
    await engine.rememberUid('alice');
    now += 50;
    await engine.rememberUid('bob');
    expect(await engine.isKnownUid('alice')).toBe(true);
    now += 60;
    expect(await engine.isKnownUid('alice')).toBe(false);
    expect(await engine.isKnownUid('bob')).toBe(true);
    await engine.rememberUid('carol');
    await engine.rememberUid('dave');
    expect(await engine.isKnownUid('bob')).toBe(false);
    expect(await engine.isKnownUid('dave')).toBe(true);
    await engine.join('erin', 'erin', 'session-1');
    now += 1_000_000;
    expect(await engine.isKnownUid('erin')).toBe(true);
    await engine.leave('erin', 'erin', 'session-1');
    expect(await engine.isKnownUid('erin')).toBe(false);
  });

  it('queues refuse past maxBytes and forget idle named queues past maxQueues', async () => {
    const engine = memoryEngine({ queues: { maxBytes: 8 * 1024, maxQueues: 2 } });
    const { queues } = engine;
    await queues.declare('jobs');
    await queues.enqueue('jobs', { id: '1', data: kib(5) });
    await expect(queues.enqueue('jobs', { id: '2', data: kib(5) })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    await queues.declare('idle');
    await queues.declare('third');
    expect(await queues.describe('idle')).toBeUndefined();
    expect(await queues.describe('jobs')).toMatchObject({ length: 1 });
    await queues.enqueue('third', { id: '3', data: 1 });
    await expect(queues.declare('fourth')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('a queue remembers the last dedupeWindow message ids: older ones are accepted again', async () => {
    const queues = new MemoryQueues({ dedupeWindow: 2 });
    await queues.declare('jobs');
    for (const id of ['a', 'b', 'a', 'c', 'b', 'a']) await queues.enqueue('jobs', { id, data: id });
    const got: string[] = [];
    await queues.consume('jobs', 'c1', (d) => got.push(d.id));
    // 'a' again is a repeat; 'c' pushes 'a' out, 'b' is still known, then 'a' is new.
    expect(got).toEqual(['a', 'b', 'c', 'a']);
    // A fresh id (made by the broker) is not kept: it pushes nothing out.
    await queues.enqueue('jobs', { id: 'f', data: 'f', fresh: true });
    await queues.enqueue('jobs', { id: 'c', data: 'c' });
    expect(got.slice(4)).toEqual(['f']);
  });

  it('a delivery that throws is dead-lettered with its reason and the others go on', async () => {
    const engine = memoryEngine();
    const { queues } = engine;
    const letters: DeadLetter[] = [];
    queues.onDeadLetter((letter) => letters.push(letter));
    await queues.declare('jobs');
    let calls = 0;
    await queues.consume('jobs', 'bad', () => {
      calls++;
      throw new RangeError('Maximum call stack size exceeded');
    });
    const good: EngineDelivery[] = [];
    await queues.consume('jobs', 'good', (d) => good.push(d));
    await queues.enqueue('jobs', { id: 'a', data: 1 });
    await queues.enqueue('jobs', { id: 'b', data: 2 });
    expect(calls).toBe(1);
    expect(letters).toEqual([
      expect.objectContaining({ id: 'a', reason: expect.stringContaining('undeliverable') }),
    ]);
    expect(good.map((d) => d.id)).toEqual(['b']);
    expect(await queues.describe('jobs')).toMatchObject({ length: 1 });
  });

  it('sweeps on the clock it is given: a SimulatedClock drives ack timeouts', async () => {
    const clock = new SimulatedClock();
    const engine = memoryEngine({ clock, now: () => clock.now(), queues: { ackTimeoutMs: 1000 } });
    await engine.start();
    const { queues } = engine;
    await queues.declare('jobs');
    const attempts: number[] = [];
    await queues.consume('jobs', 'c', (d) => attempts.push(d.attempt));
    await queues.enqueue('jobs', { id: 'a', data: 1 });
    clock.increment(999);
    expect(attempts).toEqual([1]);
    clock.increment(251);
    expect(attempts).toEqual([1, 2]);
    await engine.close();
    clock.increment(5000);
    expect(attempts).toEqual([1, 2]);
  });

  it('reports a failed sweep to onError and keeps sweeping', async () => {
    const clock = new SimulatedClock();
    let broken = true;
    const now = () => {
      if (broken) throw new Error('clock broke');
      return clock.now();
    };
    const failures: string[] = [];
    const engine = memoryEngine({
      clock,
      now,
      queues: { ackTimeoutMs: 1000 },
      onError: (error, where) => failures.push(`${where}: ${(error as Error).message}`),
    });
    await engine.start();
    clock.increment(250);
    expect(failures).toEqual(['memory engine sweep: clock broke']);
    broken = false;
    clock.increment(250);
    expect(failures).toHaveLength(1);
    await engine.close();
  });
});
