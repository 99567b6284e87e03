import { describe, expect, it } from 'vitest';
import type { PresenceChange, StoredMessage } from '../../src/engines/Engine.js';
import { memoryEngine } from '../../src/engines/index.js';

function recorder() {
  const messages: StoredMessage[] = [];
  const presence: PresenceChange[] = [];
  return {
    messages,
    presence,
    listener: {
      message: (m: StoredMessage) => messages.push(m),
      presence: (c: PresenceChange) => presence.push(c),
    },
  };
}

const pub = (room: string, id: string, content: unknown = id) => ({
  room,
  event: 'e',
  content: content as string,
  id,
});

describe('memoryEngine', () => {
  it('assigns contiguous offsets per room, starting at 1, under one epoch', async () => {
    const engine = memoryEngine();
    const a1 = await engine.publish(pub('a', 'm1'));
    const a2 = await engine.publish({ ...pub('a', 'm2'), from: 'alice' });
    const b1 = await engine.publish(pub('b', 'm3'));
    expect([a1.offset, a2.offset, b1.offset]).toEqual([1, 2, 1]);
    expect(a1.epoch).toBe(engine.epoch);
    expect(a2.from).toBe('alice');
    expect('from' in a1).toBe(false);
    expect(await engine.position('a')).toEqual({ epoch: engine.epoch, offset: 2 });
    expect(await engine.position('empty')).toEqual({ epoch: engine.epoch, offset: 0 });
  });

  it('has a new epoch per instance', () => {
    expect(memoryEngine().epoch).not.toBe(memoryEngine().epoch);
  });

  it('drops a repeated id in the same room and returns the first result', async () => {
    const engine = memoryEngine();
    const r = recorder();
    await engine.listen('a', r.listener);
    const first = await engine.publish(pub('a', 'dup', 'one'));
    const again = await engine.publish(pub('a', 'dup', 'two'));
    expect(again).toBe(first);
    expect(r.messages).toHaveLength(1);
    const otherRoom = await engine.publish(pub('b', 'dup'));
    expect(otherRoom.offset).toBe(1);
  });

  it('forgets ids beyond the dedupe window', async () => {
    const engine = memoryEngine({ dedupeWindow: 2 });
    await engine.publish(pub('a', 'x'));
    await engine.publish(pub('a', 'y'));
    await engine.publish(pub('a', 'z'));
    expect((await engine.publish(pub('a', 'x'))).offset).toBe(4);
    expect((await engine.publish(pub('a', 'z'))).offset).toBe(3);
  });

  it('fans out to every listener of the room until it unsubscribes', async () => {
    const engine = memoryEngine();
    const one = recorder();
    const two = recorder();
    const off1 = await engine.listen('a', one.listener);
    await engine.listen('a', two.listener);
    await engine.publish(pub('a', 'm1'));
    await engine.publish(pub('b', 'm2'));
    await off1();
    await engine.publish(pub('a', 'm3'));
    expect(one.messages.map((m) => m.id)).toEqual(['m1']);
    expect(two.messages.map((m) => m.id)).toEqual(['m1', 'm3']);
  });

  it('keeps delivering to others when a listener throws', async () => {
    const engine = memoryEngine();
    const r = recorder();
    await engine.listen('a', {
      message: () => {
        throw new Error('boom');
      },
      presence: () => {},
    });
    await engine.listen('a', r.listener);
    await engine.publish(pub('a', 'm1'));
    expect(r.messages).toHaveLength(1);
  });

  it('bounds history by size and reports trimmed gaps as incomplete', async () => {
    const engine = memoryEngine({ history: { size: 3 } });
    for (let i = 1; i <= 5; i++) await engine.publish(pub('a', `m${i}`));
    const newest = await engine.history('a', {});
    expect(newest.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
    expect(newest.complete).toBe(false);
    expect(newest.offset).toBe(5);

    const recoverable = await engine.history('a', { since: { epoch: engine.epoch, offset: 2 } });
    expect(recoverable.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
    expect(recoverable.complete).toBe(true);

    const trimmed = await engine.history('a', { since: { epoch: engine.epoch, offset: 1 } });
    expect(trimmed.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
    expect(trimmed.complete).toBe(false);
  });

  it('pages history with since and limit, oldest first', async () => {
    const engine = memoryEngine();
    for (let i = 1; i <= 5; i++) await engine.publish(pub('a', `m${i}`));
    const since = { epoch: engine.epoch, offset: 1 };
    const page = await engine.history('a', { since, limit: 2 });
    expect(page.messages.map((m) => m.offset)).toEqual([2, 3]);
    expect(page.complete).toBe(false);
    const rest = await engine.history('a', { since: { ...since, offset: 3 }, limit: 10 });
    expect(rest.messages.map((m) => m.offset)).toEqual([4, 5]);
    expect(rest.complete).toBe(true);
    const upToDate = await engine.history('a', { since: { ...since, offset: 5 } });
    expect(upToDate).toMatchObject({ messages: [], complete: true, offset: 5 });
    const newestTwo = await engine.history('a', { limit: 2 });
    expect(newestTwo.messages.map((m) => m.offset)).toEqual([4, 5]);
    const all = await engine.history('a', {});
    expect(all.complete).toBe(true);
  });

  it('cannot fill a gap from another epoch', async () => {
    const engine = memoryEngine();
    await engine.publish(pub('a', 'm1'));
    const page = await engine.history('a', { since: { epoch: 'other', offset: 0 } });
    expect(page).toEqual({ epoch: engine.epoch, offset: 1, messages: [], complete: false });
    const empty = await engine.history('nothing', { since: { epoch: engine.epoch, offset: 0 } });
    expect(empty).toEqual({ epoch: engine.epoch, offset: 0, messages: [], complete: true });
  });

  it('keeps enough history after many trims (compaction keeps offsets right)', async () => {
    const engine = memoryEngine({ history: { size: 10 } });
    for (let i = 1; i <= 500; i++) await engine.publish(pub('a', `m${i}`));
    const page = await engine.history('a', { since: { epoch: engine.epoch, offset: 495 } });
    expect(page.messages.map((m) => m.offset)).toEqual([496, 497, 498, 499, 500]);
    expect(page.complete).toBe(true);
  });

  it('drops messages older than ttlMs', async () => {
    let time = 1000;
    const engine = memoryEngine({ history: { ttlMs: 100 }, now: () => time });
    await engine.publish(pub('a', 'm1'));
    time += 50;
    await engine.publish(pub('a', 'm2'));
    time += 60;
    const page = await engine.history('a', { since: { epoch: engine.epoch, offset: 0 } });
    expect(page.messages.map((m) => m.id)).toEqual(['m2']);
    expect(page.complete).toBe(false);
    time += 100;
    expect((await engine.history('a', {})).messages).toEqual([]);
    expect((await engine.publish(pub('a', 'm3'))).offset).toBe(3);
  });

  it('tracks presence by member and announces only first-in and last-out per uid', async () => {
    const engine = memoryEngine();
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
    expect(r.presence).toEqual([
      { room: 'room', action: 'join', uid: 'alice' },
      { room: 'room', action: 'join', uid: 'bob' },
      { room: 'room', action: 'leave', uid: 'alice' },
      { room: 'room', action: 'leave', uid: 'bob' },
    ]);
  });

  it('keeps history and epoch across close and start', async () => {
    const engine = memoryEngine();
    await engine.start();
    await engine.publish(pub('a', 'm1'));
    await engine.close();
    await engine.start();
    expect(await engine.position('a')).toEqual({ epoch: engine.epoch, offset: 1 });
  });
});
