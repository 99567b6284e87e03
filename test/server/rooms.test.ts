import { afterEach, describe, expect, it } from 'vitest';
import { memoryEngine } from '../../src/server/index.js';
import { closeServers, connect, signIn, startServer, subscribe, turn } from './helpers.js';

afterEach(closeServers);

describe('rooms and publishing', () => {
  it('delivers a publish to every member, publisher included, and acks with offset/epoch/id', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    const bob = await signIn(server.url, 'bob');
    const sub = await subscribe(alice, 'lobby');
    expect(sub).toEqual({ epoch: expect.any(String), offset: 0, recovered: false, missed: 0 });
    await subscribe(bob, 'lobby');

    const ack = await alice.call({
      type: 'pub',
      room: 'lobby',
      event: 'chat',
      content: { text: 'hi' },
    });
    expect(ack).toEqual({ offset: 1, epoch: sub.epoch, id: expect.any(String) });
    const expected = {
      type: 'msg',
      room: 'lobby',
      event: 'chat',
      content: { text: 'hi' },
      offset: 1,
      epoch: sub.epoch,
      id: ack.id,
      from: 'alice',
    };
    expect(await bob.next('msg')).toEqual(expected);
    expect(await alice.next('msg')).toEqual(expected);
  });

  it('a member that reads msgs runs gets them, the others msg items of the same messages', async () => {
    const server = await startServer();
    const runs = await connect(server.url, { uid: 'runs', features: ['msgs'] });
    await runs.next('welcome');
    const plain = await signIn(server.url, 'plain');
    const alice = await signIn(server.url, 'alice');
    for (const client of [runs, plain, alice]) await subscribe(client, 'lobby');
    const pub = (content: number) => ({
      type: 'pub',
      id: alice.id(),
      room: 'lobby',
      event: 'e',
      content,
    });
    alice.send([pub(1), pub(2), pub(3)]);
    const plainMsgs = [await plain.next('msg'), await plain.next('msg'), await plain.next('msg')];
    expect(plainMsgs.map((m) => m.content)).toEqual([1, 2, 3]);
    const entries: unknown[] = [];
    while (entries.length < 3) {
      const run = await runs.next('msgs');
      const { epoch } = plainMsgs[0];
      expect(run).toMatchObject({ room: 'lobby', epoch, event: 'e', from: 'alice' });
      entries.push(...run.msgs);
    }
    expect(entries).toEqual(plainMsgs.map(({ content, offset, id }) => ({ content, offset, id })));
    expect(runs.pending('msg')).toEqual([]);
  });

  it('acks a repeated mid with the first result and does not deliver it again', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    await subscribe(alice, 'lobby');
    const first = await alice.call({
      type: 'pub',
      room: 'lobby',
      event: 'e',
      content: 1,
      mid: 'm-1',
    });
    const again = await alice.call({
      type: 'pub',
      room: 'lobby',
      event: 'e',
      content: 2,
      mid: 'm-1',
    });
    expect(again).toEqual(first);
    expect(first.id).toBe('m-1');
    await alice.call({ type: 'pub', room: 'lobby', event: 'e', content: 3 });
    expect((await alice.next('msg')).content).toBe(1);
    expect((await alice.next('msg')).content).toBe(3);
  });

  it('refuses a publish into a room the client has not joined (FORBIDDEN), and after unsub', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    const res = await alice.request({ type: 'pub', room: 'elsewhere', event: 'e', content: 1 });
    expect(res.error.code).toBe('FORBIDDEN');
    await subscribe(alice, 'lobby');
    expect(await alice.call({ type: 'unsub', room: 'lobby' })).toEqual({});
    const after = await alice.request({ type: 'pub', room: 'lobby', event: 'e', content: 1 });
    expect(after.error.code).toBe('FORBIDDEN');
  });

  it('subscribing twice repeats the catch-up without a second member; unsub of a stranger room is fine', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    const first = await subscribe(alice, 'lobby');
    await server.publish('lobby', 'e', 1);
    const again = await subscribe(alice, 'lobby', { epoch: first.epoch, offset: 0 });
    expect(again).toMatchObject({ offset: 1, recovered: true, missed: 1 });
    await server.publish('lobby', 'e', 2);
    // live 1, replay of 1 (asked for with since 0; the client drops it by offset), then 2 once
    const offsets = [];
    for (let i = 0; i < 3; i++) offsets.push((await alice.next('msg')).offset);
    expect(offsets).toEqual([1, 1, 2]);
    await turn();
    expect(alice.pending('msg')).toEqual([]);
    expect((await alice.call({ type: 'presence', room: 'lobby' })).members).toEqual(['alice']);
    expect(await alice.call({ type: 'unsub', room: 'never-joined' })).toEqual({});
  });

  it('stops delivering after unsub', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    await subscribe(alice, 'lobby');
    await server.publish('lobby', 'e', 1);
    await alice.call({ type: 'unsub', room: 'lobby' });
    await server.publish('lobby', 'e', 2);
    await subscribe(alice, 'other');
    await server.publish('other', 'e', 3);
    expect((await alice.next('msg')).content).toBe(1);
    expect((await alice.next('msg')).content).toBe(3);
  });

  it('accepts a batch [sub, pub] and answers each in order', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    alice.send([
      { type: 'sub', id: 1, room: 'lobby' },
      { type: 'pub', id: 2, room: 'lobby', event: 'e', content: 'x' },
      { type: 'ping', id: 3 },
    ]);
    const subRes = await alice.next('res', (f) => f.id === 1);
    expect((await alice.next('res', (f) => f.id === 2)).data.offset).toBe(1);
    expect(await alice.next('pong')).toEqual({ type: 'pong', id: 3 });
    // the message published after the sub arrives once, before the sub's answer that
    // carries the position the client has caught up to
    expect(subRes.data.offset).toBe(1);
    const msg = await alice.next('msg');
    expect(msg.content).toBe('x');
    expect(alice.log.indexOf(msg)).toBeLessThan(alice.log.indexOf(subRes));
    expect(alice.pending('msg')).toEqual([]);
  });

  it('server.publish reaches room members, and a uid room is a direct message', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    const alice2 = await signIn(server.url, 'alice');
    const bob = await signIn(server.url, 'bob');
    await subscribe(bob, 'news');
    const stored = await server.publish('news', 'headline', 'hello');
    expect(stored).toMatchObject({ room: 'news', offset: 1, content: 'hello' });
    expect(await bob.next('msg')).toMatchObject({
      room: 'news',
      event: 'headline',
      content: 'hello',
    });

    await server.publish('alice', 'dm', { text: 'psst' });
    for (const tab of [alice, alice2]) {
      const dm = await tab.next('msg');
      expect(dm).toMatchObject({ room: 'alice', event: 'dm', content: { text: 'psst' } });
      expect(dm.from).toBeUndefined();
    }
    expect(bob.pending('msg')).toEqual([]);
  });

  it('a client can publish into its own uid room without subscribing', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    await alice.call({ type: 'pub', room: 'alice', event: 'note', content: 1 });
    expect(await alice.next('msg')).toMatchObject({ room: 'alice', from: 'alice' });
  });

  it('nobody may subscribe to or read the history of another uid room (FORBIDDEN)', async () => {
    const server = await startServer();
    await signIn(server.url, 'alice');
    const bob = await signIn(server.url, 'bob');
    expect((await bob.request({ type: 'sub', room: 'alice' })).error.code).toBe('FORBIDDEN');
    expect((await bob.request({ type: 'hist', room: 'alice' })).error.code).toBe('FORBIDDEN');
    expect(
      (await bob.request({ type: 'pub', room: 'alice', event: 'e', content: 1 })).error.code,
    ).toBe('FORBIDDEN');
    // own uid room: fine
    expect(await subscribe(bob, 'bob')).toMatchObject({ offset: 0 });
  });

  it('keeps a uid room for its owner while offline; assigned uids claim nothing', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    alice.ws.close();
    await alice.closed;
    const anonymous = await signIn(server.url);
    const mallory = await signIn(server.url, 'mallory');
    expect((await mallory.request({ type: 'sub', room: 'alice' })).error.code).toBe('FORBIDDEN');
    expect((await mallory.request({ type: 'hist', room: 'alice' })).error.code).toBe('FORBIDDEN');
    anonymous.ws.close();
    await anonymous.closed;
    expect(await subscribe(mallory, 'not-a-uid')).toMatchObject({ offset: 0 });
  });

  it('sees uid rooms of users signed in on another server sharing the engine', async () => {
    const engine = memoryEngine();
    const one = await startServer({ engine });
    const two = await startServer({ engine });
    await signIn(one.url, 'alice');
    const bob = await signIn(two.url, 'bob');
    expect((await bob.request({ type: 'sub', room: 'alice' })).error.code).toBe('FORBIDDEN');
    await subscribe(bob, 'lobby');
    await one.publish('lobby', 'e', 'across');
    expect((await bob.next('msg')).content).toBe('across');
  });

  it('authorize can refuse subscribe, publish, history, presence, send and request', async () => {
    const refusals: string[] = [];
    const server = await startServer({
      authorize: (uid, action, target) => {
        if (target === 'boom') throw new Error('authorize broke');
        const ok = !target.startsWith('secret');
        if (!ok) refusals.push(`${uid}:${action}:${target}`);
        return action === 'publish' ? Promise.resolve(ok) : ok;
      },
    });
    let handled = 0;
    server.on('*', () => {
      handled++;
      return 'ok';
    });
    const alice = await signIn(server.url, 'alice');
    const codeOf = async (msg: object) => (await alice.request(msg)).error?.code;
    expect(await codeOf({ type: 'sub', room: 'secret-room' })).toBe('FORBIDDEN');
    expect(await codeOf({ type: 'hist', room: 'secret-room' })).toBe('FORBIDDEN');
    expect(await codeOf({ type: 'presence', room: 'secret-room' })).toBe('FORBIDDEN');
    expect(await codeOf({ type: 'req', event: 'secret-op', content: null })).toBe('FORBIDDEN');
    alice.send({ type: 'send', event: 'secret-op', content: null });
    expect(await alice.next('error')).toMatchObject({ code: 'FORBIDDEN' });
    expect(await codeOf({ type: 'req', event: 'open-op', content: null })).toBeUndefined();
    expect(await codeOf({ type: 'sub', room: 'boom' })).toBe('FORBIDDEN');
    expect(handled).toBe(1);
    expect(refusals).toEqual([
      'alice:subscribe:secret-room',
      'alice:history:secret-room',
      'alice:presence:secret-room',
      'alice:request:secret-op',
      'alice:send:secret-op',
    ]);
  });

  it('keeps publish order with an async authorize', async () => {
    const server = await startServer({
      authorize: async (_uid, _action, target) => {
        // later messages answer faster: order must still hold
        await new Promise((r) => setImmediate(r));
        return target !== 'never';
      },
    });
    const alice = await signIn(server.url, 'alice');
    await subscribe(alice, 'lobby');
    const batch = Array.from({ length: 20 }, (_, i) => ({
      type: 'pub',
      id: i,
      room: 'lobby',
      event: 'n',
      content: i,
    }));
    alice.send(batch);
    for (let i = 0; i < 20; i++) expect((await alice.next('msg')).content).toBe(i);
  });
});

describe('history, offsets, epoch, recovery', () => {
  it('keeps bounded history with offsets and reports completeness', async () => {
    const server = await startServer({ history: { size: 3 } });
    const alice = await signIn(server.url, 'alice');
    for (let i = 1; i <= 5; i++) await server.publish('log', 'e', i);
    const page = await alice.call({ type: 'hist', room: 'log' });
    expect(page.offset).toBe(5);
    expect(page.complete).toBe(false);
    expect(page.messages).toEqual(
      [3, 4, 5].map((n) => ({
        room: 'log',
        event: 'e',
        content: n,
        offset: n,
        epoch: page.epoch,
        id: expect.any(String),
      })),
    );
    const since = await alice.call({
      type: 'hist',
      room: 'log',
      since: { epoch: page.epoch, offset: 3 },
      limit: 1,
    });
    expect(since.messages.map((m: { offset: number }) => m.offset)).toEqual([4]);
    const empty = await alice.call({ type: 'hist', room: 'nothing' });
    // Epochs are per room (shared engines) or per engine (memory): only the shape is fixed.
    expect(empty).toEqual({ epoch: expect.any(String), offset: 0, messages: [], complete: true });
  });

  it('drops history older than ttlMs', async () => {
    let now = 1_000_000;
    const server = await startServer({
      engine: memoryEngine({ history: { ttlMs: 1000 }, now: () => now }),
    });
    const alice = await signIn(server.url, 'alice');
    await server.publish('log', 'e', 'old');
    now += 2000;
    await server.publish('log', 'e', 'new');
    const page = await alice.call({ type: 'hist', room: 'log' });
    expect(page.messages.map((m: { content: string }) => m.content)).toEqual(['new']);
  });

  it('recovers missed messages on sub with since, then continues live without duplicates', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    const first = await subscribe(alice, 'room');
    await server.publish('room', 'e', 1);
    expect((await alice.next('msg')).offset).toBe(1);
    await alice.close();

    await server.publish('room', 'e', 2);
    await server.publish('room', 'e', 3);

    const back = await signIn(server.url, 'alice');
    const sub = await subscribe(back, 'room', { epoch: first.epoch, offset: 1 });
    expect(sub).toEqual({ epoch: first.epoch, offset: 3, recovered: true, missed: 2 });
    const replayed = back.log.filter((f) => f.type === 'msg').map((f) => f.offset);
    expect(replayed).toEqual([2, 3]);
    // replayed messages arrive before the sub answer
    const resAt = back.log.findIndex((f) => f.type === 'res');
    expect(back.log.findIndex((f) => f.type === 'msg')).toBeLessThan(resAt);
    await server.publish('room', 'e', 4);
    await back.next('msg');
    await back.next('msg');
    expect((await back.next('msg')).offset).toBe(4);
  });

  it('does not lose, duplicate or reorder messages published while a sub catches up', async () => {
    const inner = memoryEngine();
    let next = 1;
    const publishSome = async (n: number) => {
      for (let i = 0; i < n; i++)
        await inner.publish({ room: 'room', event: 'e', content: next, id: `m${next++}` });
    };
    let racing = false;
    // Publishes land between every step of the subscribe: before the history read (they are
    // in the replay and held live) and after it (only held live).
    const engine = {
      ...inner,
      async join(room: string, uid: string, member: string) {
        if (racing) await publishSome(10);
        return inner.join(room, uid, member);
      },
      async history(room: string, query: Parameters<typeof inner.history>[1]) {
        if (racing) await publishSome(10);
        const page = await inner.history(room, query);
        if (racing) await publishSome(10);
        return page;
      },
    };
    const server = await startServer({ engine });
    const alice = await signIn(server.url, 'alice');
    await publishSome(20);
    racing = true;
    const sub = await subscribe(alice, 'room', { epoch: inner.epoch, offset: 5 });
    racing = false;
    await publishSome(5);
    expect(sub).toMatchObject({ recovered: true, offset: 40 });
    const offsets: number[] = [];
    for (let i = 0; i < 50; i++) offsets.push((await alice.next('msg')).offset);
    expect(offsets).toEqual(Array.from({ length: 50 }, (_, i) => i + 6));
    await turn();
    expect(alice.pending('msg')).toEqual([]);
  });

  it('holds live messages from the moment the member is registered, not an await later', async () => {
    const inner = memoryEngine();
    let sneakIn: (() => void) | null = null;
    // Publishes right after the subscribe registered the member (it does so as soon as the
    // position is read), before the subscribe's next step.
    const engine = {
      ...inner,
      position(room: string) {
        const position = inner.position(room);
        const sneak = sneakIn;
        sneakIn = null;
        if (sneak) position.then(() => queueMicrotask(sneak));
        return position;
      },
    };
    const server = await startServer({ engine });
    // bob keeps the room listened to on this node, so a new member gets live messages at once.
    await subscribe(await signIn(server.url, 'bob'), 'room');
    const alice = await signIn(server.url, 'alice');
    sneakIn = () => void inner.publish({ room: 'room', event: 'e', content: 'x', id: 'sneaky' });
    expect(await subscribe(alice, 'room')).toMatchObject({ offset: 1 });
    await turn();
    // Replayed once; the live copy waited behind the replay and was dropped as a duplicate.
    expect(alice.log.filter((f) => f.type === 'msg').map((f) => f.id)).toEqual(['sneaky']);
  });

  it('reports recovered:false when history was trimmed, still sending what is left', async () => {
    const server = await startServer({ history: { size: 2 } });
    const alice = await signIn(server.url, 'alice');
    const { epoch } = await subscribe(alice, 'room');
    await alice.call({ type: 'unsub', room: 'room' });
    for (let i = 1; i <= 5; i++) await server.publish('room', 'e', i);
    const sub = await subscribe(alice, 'room', { epoch, offset: 1 });
    expect(sub).toEqual({ epoch, offset: 5, recovered: false, missed: 2 });
    expect(alice.pending('msg').map((m) => m.offset)).toEqual([4, 5]);
  });

  it('reports recovered:false and replays nothing when the epoch changed', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    await server.publish('room', 'e', 1);
    const sub = await subscribe(alice, 'room', { epoch: 'old-epoch', offset: 7 });
    expect(sub).toMatchObject({ offset: 1, recovered: false, missed: 0 });
    expect(sub.epoch).not.toBe('old-epoch');
    expect(alice.pending('msg')).toEqual([]);
    await server.publish('room', 'e', 2);
    expect((await alice.next('msg')).offset).toBe(2);
  });

  it('a restarted server with a new memory engine has a new epoch: recovery says so', async () => {
    const first = await startServer();
    const alice = await signIn(first.url, 'alice');
    const { epoch } = await subscribe(alice, 'room');
    await first.close();
    const second = await startServer();
    const back = await signIn(second.url, 'alice');
    const sub = await subscribe(back, 'room', { epoch, offset: 0 });
    expect(sub.recovered).toBe(false);
    expect(sub.epoch).not.toBe(epoch);
  });
});

describe('presence', () => {
  it('announces join and leave to room members and lists members', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    await subscribe(alice, 'lobby');
    const bob = await signIn(server.url, 'bob');
    const bob2 = await signIn(server.url, 'bob');
    await subscribe(bob, 'lobby');
    expect(await alice.next('join', (f) => f.uid === 'bob')).toEqual({
      type: 'join',
      room: 'lobby',
      uid: 'bob',
    });
    await subscribe(bob2, 'lobby');
    const { members } = await alice.call({ type: 'presence', room: 'lobby' });
    expect(members.sort()).toEqual(['alice', 'bob']);

    // bob has two connections: only the last one out is a leave
    await bob.close();
    await bob2.call({ type: 'unsub', room: 'lobby' });
    expect(await alice.next('leave')).toEqual({ type: 'leave', room: 'lobby', uid: 'bob' });
    expect(alice.log.filter((f) => f.type === 'join' && f.uid === 'bob')).toHaveLength(1);
    expect((await alice.call({ type: 'presence', room: 'lobby' })).members).toEqual(['alice']);
  });

  it('presence of a uid room tells whether that user is online', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    const bob = await signIn(server.url, 'bob');
    expect((await alice.call({ type: 'presence', room: 'bob' })).members).toEqual(['bob']);
    await bob.close();
    expect((await alice.call({ type: 'presence', room: 'bob' })).members).toEqual([]);
    // no join/leave frames for uid rooms, not even about one's own other connections
    const aliceAgain = await signIn(server.url, 'alice');
    await aliceAgain.close();
    await alice.call({ type: 'presence', room: 'alice' });
    expect(alice.log.filter((f) => f.type === 'join' || f.type === 'leave')).toEqual([]);
  });
});
