import { afterEach, describe, expect, it } from 'vitest';
import { type EngineFixture, pub, recorder } from './fixtures.js';

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Rooms, history, offsets, epochs, dedupe and presence: what every engine must do. */
export function roomContract(fixture: EngineFixture): void {
  describe(`${fixture.name}: rooms`, () => {
    afterEach(() => fixture.cleanup());

    it('assigns contiguous offsets per room, starting at 1, under one epoch', async () => {
      const engine = await fixture.make();
      const a1 = await engine.publish(pub('a', 'm1'));
      const a2 = await engine.publish({ ...pub('a', 'm2'), from: 'alice' });
      const b1 = await engine.publish(pub('b', 'm3'));
      expect([a1.offset, a2.offset, b1.offset]).toEqual([1, 2, 1]);
      expect(a2.epoch).toBe(a1.epoch);
      expect(a2.from).toBe('alice');
      expect('from' in a1).toBe(false);
      expect(await engine.position('a')).toEqual({ epoch: a1.epoch, offset: 2 });
      const empty = await engine.position('empty');
      expect(empty.offset).toBe(0);
      expect(await engine.position('empty')).toEqual(empty);
    });

    it('answers publishes made in one tick with their own offsets', async () => {
      const engine = await fixture.make();
      const stored = await Promise.all(
        Array.from({ length: 40 }, (_, i) => engine.publish(pub(i % 2 ? 'odd' : 'even', `m${i}`))),
      );
      expect(stored.filter((m) => m.room === 'even').map((m) => m.offset)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      expect((await engine.history('odd', {})).messages.map((m) => m.id)).toEqual(
        Array.from({ length: 20 }, (_, i) => `m${2 * i + 1}`),
      );
    });

    it('drops a repeated id in the same room and returns the first result', async () => {
      const engine = await fixture.make();
      const r = recorder();
      await engine.listen('a', r.listener);
      const first = await engine.publish(pub('a', 'dup', 'one'));
      const again = await engine.publish(pub('a', 'dup', 'two'));
      expect(again).toEqual(first);
      await engine.publish(pub('a', 'after'));
      const delivered = await r.messages.until(2);
      expect(delivered.map((m) => m.id)).toEqual(['dup', 'after']);
      const otherRoom = await engine.publish(pub('b', 'dup'));
      expect(otherRoom.offset).toBe(1);
    });

    it('answers a repeated id within one tick with the first message', async () => {
      const engine = await fixture.make();
      const [first, again] = await Promise.all([
        engine.publish(pub('a', 'dup', 'one')),
        engine.publish(pub('a', 'dup', 'two')),
      ]);
      expect(again).toEqual(first);
      expect(again.content).toBe('one');
      expect((await engine.history('a', {})).messages.map((m) => m.content)).toEqual(['one']);
    });

    it('keeps ids and content with newlines and tabs intact, given content JSON or not', async () => {
      const engine = await fixture.make();
      const r = recorder();
      await engine.listen('a', r.listener);
      const content = { text: 'line\none\ttab', list: [1, 2] };
      const pretty = JSON.stringify(content, null, 2);
      const [first, plain] = await Promise.all([
        engine.publish({ ...pub('a', 'id\nwith\tbreaks', content), contentJson: pretty }),
        engine.publish(pub('a', 'second', content)),
      ]);
      expect([first.offset, plain.offset]).toEqual([1, 2]);
      const again = await engine.publish(pub('a', 'id\nwith\tbreaks', 'other'));
      expect(again.offset).toBe(1);
      const delivered = await r.messages.until(2);
      expect(delivered.map((m) => [m.id, m.content])).toEqual([
        ['id\nwith\tbreaks', content],
        ['second', content],
      ]);
      const page = await engine.history('a', {});
      expect(page.messages.map((m) => m.content)).toEqual([content, content]);
    });

    it('forgets ids beyond the dedupe window', async () => {
      const engine = await fixture.make({ dedupeWindow: 2 });
      await engine.publish(pub('a', 'x'));
      await engine.publish(pub('a', 'y'));
      await engine.publish(pub('a', 'z'));
      expect((await engine.publish(pub('a', 'x'))).offset).toBe(4);
      expect((await engine.publish(pub('a', 'z'))).offset).toBe(3);
    });

    it('fans out to every listener of the room until it unsubscribes', async () => {
      const engine = await fixture.make();
      const one = recorder();
      const two = recorder();
      const off1 = await engine.listen('a', one.listener);
      await engine.listen('a', two.listener);
      await engine.publish(pub('a', 'm1'));
      await engine.publish(pub('b', 'm2'));
      await one.messages.until(1);
      await off1();
      await engine.publish(pub('a', 'm3'));
      await two.messages.until(2);
      expect(one.messages.items.map((m) => m.id)).toEqual(['m1']);
      expect(two.messages.items.map((m) => m.id)).toEqual(['m1', 'm3']);
      expect(two.messages.items[1]).toEqual(await engine.publish(pub('a', 'm3')));
    });

    it('keeps delivering to others when a listener throws', async () => {
      const engine = await fixture.make();
      const r = recorder();
      await engine.listen('a', {
        message: () => {
          throw new Error('boom');
        },
        presence: () => {},
      });
      await engine.listen('a', r.listener);
      await engine.publish(pub('a', 'm1'));
      expect(await r.messages.until(1)).toHaveLength(1);
    });

    it('bounds history by size and reports trimmed gaps as incomplete', async () => {
      const engine = await fixture.make({ history: { size: 3 } });
      for (let i = 1; i <= 5; i++) await engine.publish(pub('a', `m${i}`));
      const newest = await engine.history('a', {});
      expect(newest.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
      expect(newest.complete).toBe(false);
      expect(newest.offset).toBe(5);
      const { epoch } = newest;

      const recoverable = await engine.history('a', { since: { epoch, offset: 2 } });
      expect(recoverable.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
      expect(recoverable.complete).toBe(true);

      const trimmed = await engine.history('a', { since: { epoch, offset: 1 } });
      expect(trimmed.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
      expect(trimmed.complete).toBe(false);
    });

    it('bounds history by bytes: the oldest messages go first', async () => {
      const engine = await fixture.make({ history: { maxBytes: 5000 } });
      const big = 'x'.repeat(1000);
      for (let i = 1; i <= 10; i++) await engine.publish(pub('a', `m${i}`, big));
      const page = await engine.history('a', {});
      const offsets = page.messages.map((m) => m.offset);
      expect(offsets.length).toBeGreaterThanOrEqual(3);
      expect(offsets.length).toBeLessThanOrEqual(4);
      expect(offsets).toEqual(range(11 - offsets.length, 10));
      expect(page.complete).toBe(false);
      await engine.publish(pub('a', 'small', 's'));
      const after = await engine.history('a', { since: { epoch: page.epoch, offset: 9 } });
      expect(after.messages.map((m) => m.offset)).toEqual([10, 11]);
      expect(after.complete).toBe(true);
    });

    it('pages history with since and limit, oldest first', async () => {
      const engine = await fixture.make();
      for (let i = 1; i <= 5; i++) await engine.publish(pub('a', `m${i}`));
      const { epoch } = await engine.position('a');
      const page = await engine.history('a', { since: { epoch, offset: 1 }, limit: 2 });
      expect(page.messages.map((m) => m.offset)).toEqual([2, 3]);
      expect(page.messages[0]).toMatchObject({ room: 'a', event: 'e', content: 'm2', id: 'm2' });
      expect(page.complete).toBe(false);
      const rest = await engine.history('a', { since: { epoch, offset: 3 }, limit: 10 });
      expect(rest.messages.map((m) => m.offset)).toEqual([4, 5]);
      expect(rest.complete).toBe(true);
      const upToDate = await engine.history('a', { since: { epoch, offset: 5 } });
      expect(upToDate).toMatchObject({ messages: [], complete: true, offset: 5 });
      const newestTwo = await engine.history('a', { limit: 2 });
      expect(newestTwo.messages.map((m) => m.offset)).toEqual([4, 5]);
      const all = await engine.history('a', {});
      expect(all.complete).toBe(true);
    });

    it('cannot fill a gap from another epoch or past the top', async () => {
      const engine = await fixture.make();
      const { epoch } = await engine.publish(pub('a', 'm1'));
      const page = await engine.history('a', { since: { epoch: 'other', offset: 0 } });
      expect(page).toEqual({ epoch, offset: 1, messages: [], complete: false });
      const ahead = await engine.history('a', { since: { epoch, offset: 7 } });
      expect(ahead.complete).toBe(false);
      const emptyEpoch = (await engine.position('nothing')).epoch;
      const empty = await engine.history('nothing', { since: { epoch: emptyEpoch, offset: 0 } });
      expect(empty).toEqual({ epoch: emptyEpoch, offset: 0, messages: [], complete: true });
    });

    it('keeps enough history after many trims', async () => {
      const engine = await fixture.make({ history: { size: 10 } });
      await Promise.all(Array.from({ length: 500 }, (_, i) => engine.publish(pub('a', `m${i}`))));
      const { epoch } = await engine.position('a');
      const page = await engine.history('a', { since: { epoch, offset: 495 } });
      expect(page.messages.map((m) => m.offset)).toEqual([496, 497, 498, 499, 500]);
      expect(page.complete).toBe(true);
    });

    it('drops messages older than ttlMs', async () => {
      let time = 1000;
      const engine = await fixture.make({ history: { ttlMs: 100 }, now: () => time });
      const { epoch } = await engine.publish(pub('a', 'm1'));
      time += 50;
      await engine.publish(pub('a', 'm2'));
      time += 60;
      const page = await engine.history('a', { since: { epoch, offset: 0 } });
      expect(page.messages.map((m) => m.id)).toEqual(['m2']);
      expect(page.messages[0].at).toBe(1050);
      expect(page.complete).toBe(false);
      time += 100;
      expect((await engine.history('a', {})).messages).toEqual([]);
      expect((await engine.publish(pub('a', 'm3'))).offset).toBe(3);
    });

    it('tracks presence by member and announces only first-in and last-out per uid', async () => {
      const engine = await fixture.make();
      const r = recorder();
      await engine.listen('room', r.listener);
      await engine.join('room', 'alice', 'c1');
      await engine.join('room', 'alice', 'c2');
      await engine.join('room', 'alice', 'c2');
      await engine.join('room', 'bob', 'c3');
      expect((await engine.members('room')).sort()).toEqual(['alice', 'bob']);
      await engine.leave('room', 'alice', 'c1');
      await engine.leave('room', 'alice', 'unknown');
      expect(await engine.members('room')).toContain('alice');
      await engine.leave('room', 'alice', 'c2');
      await engine.leave('room', 'bob', 'c3');
      expect(await engine.members('room')).toEqual([]);
      expect(await r.presence.until(4)).toEqual([
        { room: 'room', action: 'join', uid: 'alice' },
        { room: 'room', action: 'join', uid: 'bob' },
        { room: 'room', action: 'leave', uid: 'alice' },
        { room: 'room', action: 'leave', uid: 'bob' },
      ]);
    });

    it('keeps uid claims for their ttl, at most max of them, and while present', async () => {
      let time = 1000;
      const engine = await fixture.make({ uidClaims: { ttlMs: 100, max: 2 }, now: () => time });
      expect(await engine.isKnownUid('alice')).toBe(false);
      await engine.rememberUid('alice');
      expect(await engine.isKnownUid('alice')).toBe(true);
      time += 50;
      await engine.rememberUid('bob');
      await engine.rememberUid('carol');
      expect(await engine.isKnownUid('alice')).toBe(false);
      expect(await engine.isKnownUid('bob')).toBe(true);
      time += 100;
      expect(await engine.isKnownUid('carol')).toBe(false);
      await engine.join('dave', 'dave', 'c1');
      expect(await engine.isKnownUid('dave')).toBe(true);
      await engine.leave('dave', 'dave', 'c1');
      expect(await engine.isKnownUid('dave')).toBe(false);
    });

    it('keeps history and epoch across close and start', async () => {
      const engine = await fixture.make();
      const { epoch } = await engine.publish(pub('a', 'm1'));
      await engine.close();
      await engine.start();
      expect(await engine.position('a')).toEqual({ epoch, offset: 1 });
    });

    if (fixture.sharesState)
      it('acts as one broker across nodes', async () => {
        const [a, b, c] = await Promise.all([1, 2, 3].map(() => fixture.make({}, 'cluster')));
        const onB = recorder();
        const onC = recorder();
        await b.listen('room', onB.listener);
        await c.listen('room', onC.listener);
        const published = [];
        for (let i = 0; i < 10; i++)
          published.push(await [a, b, c][i % 3].publish(pub('room', `m${i}`)));
        expect(published.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(new Set(published.map((m) => m.epoch)).size).toBe(1);
        expect(await onB.messages.until(10)).toEqual(published);
        expect(await onC.messages.until(10)).toEqual(published);
        expect((await c.publish(pub('room', 'm3'))).offset).toBe(4);
        await a.join('room', 'alice', 'x');
        await b.join('room', 'alice', 'y');
        await c.leave('room', 'alice', 'x');
        expect(await c.members('room')).toEqual(['alice']);
        await a.rememberUid('alice');
        expect(await c.isKnownUid('alice')).toBe(true);
        await b.leave('room', 'alice', 'y');
        expect(await onC.presence.until(2)).toEqual([
          { room: 'room', action: 'join', uid: 'alice' },
          { room: 'room', action: 'leave', uid: 'alice' },
        ]);
        const page = await c.history('room', { since: { epoch: published[0].epoch, offset: 8 } });
        expect(page.messages).toEqual(published.slice(8));
      });
  });
}
