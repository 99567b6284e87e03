import { afterEach, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../src/engines/QueueEngine.js';
import { codeOf, collector, type EngineFixture, eventually, Inbox } from './fixtures.js';

/** Competing-consumer queues: what every engine must do. */
export function queueContract(fixture: EngineFixture): void {
  describe(`${fixture.name}: queues`, () => {
    afterEach(() => fixture.cleanup());

    it('gives each item to exactly one consumer, round robin', async () => {
      const { queues } = await fixture.make();
      await queues.declare('jobs');
      const [a, b, c] = [collector(), collector(), collector()];
      await queues.consume('jobs', 'a', a.deliver);
      await queues.consume('jobs', 'b', b.deliver);
      await queues.consume('jobs', 'c', c.deliver);
      for (let i = 0; i < 30; i++) await queues.enqueue('jobs', { id: `m${i}`, data: i });
      await Promise.all([a, b, c].map((x) => x.inbox.until(10)));
      expect([a, b, c].map((x) => x.deliveries.length)).toEqual([10, 10, 10]);
      const ids = [a, b, c].flatMap((x) => x.deliveries.map((d) => d.id));
      expect(new Set(ids).size).toBe(30);
      const first = [a, b, c].flatMap((x) => x.deliveries).find((d) => d.id === 'm0');
      expect(first).toMatchObject({ queue: 'jobs', data: 0, attempt: 1, maxAttempts: 5 });
    });

    it('redelivers what a lost consumer held to the others', async () => {
      const { queues } = await fixture.make();
      await queues.declare('jobs');
      const [a, b] = [collector(), collector()];
      const stopA = await queues.consume('jobs', 'a', a.deliver);
      await queues.consume('jobs', 'b', b.deliver);
      for (let i = 0; i < 4; i++) await queues.enqueue('jobs', { id: `m${i}`, data: i });
      await Promise.all([a.inbox.until(2), b.inbox.until(2)]);
      for (const d of b.deliveries) await queues.ack('jobs', d.deliveryId, 'b');
      await stopA();
      await b.inbox.until(4);
      const redelivered = b.deliveries.slice(2);
      expect(redelivered.map((d) => d.id).sort()).toEqual(a.deliveries.map((d) => d.id).sort());
      expect(redelivered.every((d) => d.attempt === 2)).toBe(true);
    });

    it('holds items until a consumer comes, and respects prefetch', async () => {
      const { queues } = await fixture.make({ queues: { prefetch: 2 } });
      await queues.declare('jobs');
      for (let i = 0; i < 5; i++) await queues.enqueue('jobs', { id: `m${i}`, data: i });
      const a = collector();
      await queues.consume('jobs', 'a', a.deliver);
      await a.inbox.until(2);
      expect(a.deliveries.map((d) => d.id)).toEqual(['m0', 'm1']);
      await queues.ack('jobs', a.deliveries[0].deliveryId, 'a');
      await a.inbox.until(3);
      expect(a.deliveries[2].id).toBe('m2');
      expect((await queues.describe('jobs'))?.length).toBe(4);
    });

    it('drops expired items, ignores repeated ids, and refuses a full queue', async () => {
      let now = 1000;
      const { queues } = await fixture.make({ queues: { maxLength: 2 }, now: () => now });
      await queues.declare('jobs');
      await queues.enqueue('jobs', { id: 'stale', data: 1, expiresInMs: 500 });
      await queues.enqueue('jobs', { id: 'fresh', data: 2 });
      await queues.enqueue('jobs', { id: 'fresh', data: 2 });
      expect(await codeOf(queues.enqueue('jobs', { id: 'third', data: 3 }))).toBe('UNAVAILABLE');
      now = 2000;
      const a = collector();
      await queues.consume('jobs', 'a', a.deliver);
      expect((await a.inbox.until(1)).map((d) => d.id)).toEqual(['fresh']);
    });

    it('bounds a queue in bytes; an acked item frees its bytes', async () => {
      const { queues } = await fixture.make({ queues: { maxBytes: 3000 } });
      await queues.declare('jobs');
      const big = 'x'.repeat(1000);
      await queues.enqueue('jobs', { id: 'm1', data: big });
      await queues.enqueue('jobs', { id: 'm2', data: big });
      expect(await codeOf(queues.enqueue('jobs', { id: 'm3', data: big }))).toBe('UNAVAILABLE');
      await queues.enqueue('jobs', { id: 's', data: 1 });
      const a = collector();
      await queues.consume('jobs', 'a', a.deliver);
      await a.inbox.until(3);
      await queues.ack('jobs', a.deliveries[0].deliveryId, 'a');
      await queues.enqueue('jobs', { id: 'm3', data: big });
      expect((await queues.describe('jobs'))?.length).toBe(3);
    });

    it('keeps at most maxQueues named queues, forgetting idle ones first', async () => {
      const { queues } = await fixture.make({ queues: { maxQueues: 2 } });
      await queues.declare('idle1');
      await queues.declare('idle2');
      await queues.declare('busy');
      expect(await queues.describe('busy')).toBeDefined();
      await queues.enqueue('busy', { id: 'm', data: 1 });
      await queues.declare('held');
      await queues.consume('held', 'a', () => {});
      expect(await codeOf(queues.declare('third'))).toBe('UNAVAILABLE');
      expect(await queues.describe('idle1')).toBeUndefined();
    });

    it('redelivers on nack and dead-letters after the last attempt', async () => {
      const letters = new Inbox<DeadLetter>();
      const { queues } = await fixture.make({ queues: { maxAttempts: 2 } });
      queues.onDeadLetter(() => {
        throw new Error('a failing listener does not stop the others');
      });
      const off = queues.onDeadLetter(letters.push);
      await queues.declare('jobs');
      const a = collector();
      await queues.consume('jobs', 'a', a.deliver);
      await queues.enqueue('jobs', { id: 'm', data: 'x' });
      await a.inbox.until(1);
      await queues.nack('jobs', a.deliveries[0].deliveryId, 'a', 'boom');
      await a.inbox.until(2);
      expect(a.deliveries[1]).toMatchObject({ id: 'm', attempt: 2, maxAttempts: 2 });
      await queues.nack('jobs', a.deliveries[1].deliveryId, 'a', 'boom');
      expect(await letters.until(1)).toEqual([
        { queue: 'jobs', id: 'm', data: 'x', attempts: 2, reason: 'boom' },
      ]);
      off();
      await queues.enqueue('jobs', { id: 'n', data: 'y' });
      await a.inbox.until(3);
      await queues.nack('jobs', a.deliveries[2].deliveryId, 'a');
      await a.inbox.until(4);
      await queues.nack('jobs', a.deliveries[3].deliveryId, 'a');
      expect(await queues.describe('jobs')).toMatchObject({ length: 0 });
      expect(letters.items).toHaveLength(1);
      expect(a.deliveries).toHaveLength(4);
    });

    it('requeues deliveries whose ack timed out', async () => {
      let now = 0;
      const { queues } = await fixture.make({ queues: { ackTimeoutMs: 100 }, now: () => now });
      await queues.declare('jobs');
      const a = collector();
      await queues.consume('jobs', 'a', a.deliver);
      await queues.enqueue('jobs', { id: 'm', data: 1 });
      await a.inbox.until(1);
      now = 150;
      expect((await a.inbox.until(2)).map((d) => d.attempt)).toEqual([1, 2]);
      expect(await codeOf(queues.ack('jobs', a.deliveries[0].deliveryId, 'a'))).toBe('NOT_FOUND');
      await queues.ack('jobs', a.deliveries[1].deliveryId, 'a');
    });

    it('answers unknown queues and foreign deliveries with NOT_FOUND', async () => {
      const { queues } = await fixture.make();
      expect(await codeOf(queues.enqueue('nope', { id: 'm', data: 1 }))).toBe('NOT_FOUND');
      expect(await codeOf(queues.consume('nope', 'a', () => {}))).toBe('NOT_FOUND');
      await queues.declare('jobs');
      const a = collector();
      await queues.consume('jobs', 'a', a.deliver);
      await queues.enqueue('jobs', { id: 'm', data: 1 });
      await a.inbox.until(1);
      expect(await codeOf(queues.ack('jobs', a.deliveries[0].deliveryId, 'b'))).toBe('NOT_FOUND');
      expect(await codeOf(queues.ack('jobs', 'unknown', 'a'))).toBe('NOT_FOUND');
      await queues.ack('jobs', a.deliveries[0].deliveryId, 'a');
      expect(await codeOf(queues.ack('jobs', a.deliveries[0].deliveryId, 'a'))).toBe('NOT_FOUND');
    });

    it('describes owner, length and consumers', async () => {
      const { queues } = await fixture.make();
      expect(await queues.describe('tmp.x')).toBeUndefined();
      await queues.declare('tmp.x', { owner: 'alice' });
      await queues.enqueue('tmp.x', { id: 'm', data: 1 });
      expect(await queues.describe('tmp.x')).toEqual({ owner: 'alice', length: 1, consumers: 0 });
      const stop = await queues.consume('tmp.x', 'a', () => {});
      expect(await queues.describe('tmp.x')).toEqual({ owner: 'alice', length: 1, consumers: 1 });
      await stop();
      await queues.remove('tmp.x');
      expect(await queues.describe('tmp.x')).toBeUndefined();
      await queues.declare('named');
      expect(await queues.describe('named')).toEqual({ owner: null, length: 0, consumers: 0 });
    });

    it('dead-letters a delivery that throws instead of redelivering it', async () => {
      const letters = new Inbox<DeadLetter>();
      const { queues } = await fixture.make();
      queues.onDeadLetter(letters.push);
      await queues.declare('jobs');
      await queues.consume('jobs', 'a', () => {
        throw new Error('cannot frame');
      });
      await queues.enqueue('jobs', { id: 'bad', data: 1 });
      const [letter] = await letters.until(1);
      expect(letter).toMatchObject({ id: 'bad', attempts: 1 });
      expect(letter.reason).toContain('undeliverable');
      expect((await queues.describe('jobs'))?.length).toBe(0);
    });

    it('removes a queue declared with idleTtlMs once it has had no consumer for that long', async () => {
      const { queues } = await fixture.make({ queues: { ackTimeoutMs: 100 } });
      await queues.declare('tmp.idle', { owner: 'alice', idleTtlMs: 50 });
      const stop = await queues.consume('tmp.idle', 'a', () => {});
      await queues.enqueue('tmp.idle', { id: 'm', data: 1 });
      expect(await queues.describe('tmp.idle')).toMatchObject({ consumers: 1 });
      await stop();
      await eventually(async () => (await queues.describe('tmp.idle')) === undefined, 'removal');
      expect(await codeOf(queues.enqueue('tmp.idle', { id: 'n', data: 1 }))).toBe('NOT_FOUND');
    });

    if (fixture.sharesState)
      it('shares queues across nodes', async () => {
        const [a, b, c] = await Promise.all([1, 2, 3].map(() => fixture.make({}, 'cluster')));
        await a.queues.declare('jobs');
        const [onB, onC] = [collector(), collector()];
        await b.queues.consume('jobs', 'b', onB.deliver);
        const stopC = await c.queues.consume('jobs', 'c', onC.deliver);
        expect((await a.queues.describe('jobs'))?.consumers).toBe(2);
        for (let i = 0; i < 10; i++) await a.queues.enqueue('jobs', { id: `m${i}`, data: i });
        await eventually(
          async () => onB.deliveries.length + onC.deliveries.length === 10,
          'all 10 delivered',
        );
        expect(onB.deliveries.length).toBeGreaterThan(0);
        expect(onC.deliveries.length).toBeGreaterThan(0);
        const ids = [...onB.deliveries, ...onC.deliveries].map((d) => d.id);
        expect(new Set(ids).size).toBe(10);
        // c's node stops its consumer: what it held goes to b, one attempt later.
        await stopC();
        await onB.inbox.until(10);
        const moved = onB.deliveries.filter((d) => d.attempt === 2).map((d) => d.id);
        expect(moved.sort()).toEqual(onC.deliveries.map((d) => d.id).sort());
        await a.queues.enqueue('jobs', { id: 'm0', data: 0 });
        expect((await b.queues.describe('jobs'))?.consumers).toBe(1);
      });
  });
}
