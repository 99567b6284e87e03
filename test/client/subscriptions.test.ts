import { describe, expect, it } from 'vitest';
import type { Message, Subscription } from '../../src/index.js';
import { createTestClient, nextEvent } from '../../src/testing/index.js';

/** Resolves once the subscription delivered the message with this offset. */
function untilOffset(sub: Subscription, offset: number): Promise<Message> {
  return new Promise((resolve) => {
    const off = sub.on('message', (m) => {
      if (m.offset < offset) return;
      off();
      resolve(m);
    });
  });
}

describe('subscriptions (SimulatedClock, in-memory transport)', () => {
  it('delivers messages to the handle, room, event and room+event callbacks', async () => {
    const { client, server } = createTestClient({ uid: 'me' });
    const seen: string[] = [];
    const sub = client.subscribe('news', (m) => seen.push(`handle ${m.offset}`));
    client.onRoom('news', (m) => seen.push(`room ${m.event}`));
    client.onEvent('update', (m) => seen.push(`event ${m.room}`));
    const off = client.onRoomEvent('news', 'update', (m) => seen.push(`room+event ${m.content}`));
    await sub.ready();
    expect(sub.state).toBe('subscribed');
    server.publish('news', 'update', 'a', 'bob');
    server.publish('news', 'other', 'b');
    await untilOffset(sub, 2);
    off();
    server.publish('news', 'update', 'c');
    await untilOffset(sub, 3);
    expect(seen).toEqual([
      'handle 1',
      'room update',
      'event news',
      'room+event a',
      'handle 2',
      'room other',
      'handle 3',
      'room update',
      'event news',
    ]);
  });

  it('messages carry {room, event, content, offset, id, from?}', async () => {
    const { client, server } = createTestClient();
    const sub = client.subscribe('r');
    await sub.ready();
    const received = new Promise<Message>((resolve) => sub.on('message', resolve));
    server.publish('r', 'e', { x: [1, 2] }, 'alice');
    expect(await received).toEqual({
      room: 'r',
      event: 'e',
      content: { x: [1, 2] },
      offset: 1,
      id: expect.any(String),
      from: 'alice',
    });
  });

  it('direct messages to the own uid room reach onRoom/onEvent without a subscription', async () => {
    const { client, server } = createTestClient({ uid: 'carol' });
    await client.connect();
    const direct = new Promise<Message>((resolve) => client.onRoom('carol', resolve));
    server.publish('carol', 'dm', 'hi');
    expect(await direct).toMatchObject({ room: 'carol', event: 'dm', content: 'hi' });
  });

  it('subscribing twice to a room shares one server subscription (ref-counted)', async () => {
    const { client, server } = createTestClient();
    const a: number[] = [];
    const b: number[] = [];
    const first = client.subscribe('shared', (m) => a.push(m.offset));
    const second = client.subscribe('shared', (m) => b.push(m.offset));
    await Promise.all([first.ready(), second.ready()]);
    const connection = server.last!;
    expect(connection.received.filter((m) => m.type === 'sub')).toHaveLength(1);
    server.publish('shared', 'e', 1);
    await new Promise((resolve) => second.on('message', resolve));
    first.close();
    expect(first.state).toBe('unsubscribed');
    expect(second.state).toBe('subscribed');
    server.publish('shared', 'e', 2);
    await new Promise((resolve) => second.on('message', resolve));
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
    expect(connection.received.filter((m) => m.type === 'unsub')).toHaveLength(0);
    second.close();
    expect(await connection.next('unsub')).toMatchObject({ room: 'shared' });
    expect(client.actors.subscriptions.size).toBe(0);
  });

  it('subscribes made in one tick leave batched, in order, in frames of 16 that double up to 256', async () => {
    const { client, server } = createTestClient();
    await client.connect();
    const connection = server.last!;
    const before = connection.frames.length;
    const subs = Array.from({ length: 1000 }, (_, i) => client.subscribe(`room-${i}`));
    await Promise.all(subs.map((s) => s.ready()));
    const batches = connection.frames.slice(before).map((f) => JSON.parse(f) as { room: string }[]);
    expect(batches.map((b) => b.length)).toEqual([16, 32, 64, 128, 256, 256, 248]);
    expect(batches.flat().map((m) => m.room)).toEqual(subs.map((_, i) => `room-${i}`));
    // The next tick starts over at 16.
    const next = connection.frames.length;
    const more = Array.from({ length: 20 }, (_, i) => client.subscribe(`more-${i}`));
    await Promise.all(more.map((s) => s.ready()));
    expect(connection.frames.slice(next).map((f) => (JSON.parse(f) as unknown[]).length)).toEqual([
      16, 4,
    ]);
  });

  it('offline subscriptions wait, then resubscribe with since and recover what they missed', async () => {
    const { client, server, clock } = createTestClient({
      reconnect: { minDelayMs: 100, maxDelayMs: 100 },
    });
    const got: number[] = [];
    const sub = client.subscribe('feed', (m) => got.push(m.offset));
    await sub.ready();
    server.publish('feed', 'e', 1);
    await new Promise((resolve) => sub.on('message', resolve));

    const states: string[] = [];
    sub.on('state', ({ from, to }) => states.push(`${from}>${to}`));
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    expect(sub.state).toBe('subscribing');
    server.publish('feed', 'e', 2);
    server.publish('feed', 'e', 3);
    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    const reopened = server.nextConnection();
    clock.increment(100);
    const connection = await reopened;
    const resubscribe = await connection.next('sub');
    expect(resubscribe.since).toEqual({ epoch: server.epoch, offset: 1 });
    expect(await recovered).toEqual({ recovered: true, missed: 2 });
    expect(got).toEqual([1, 2, 3]);
    expect(states).toEqual(['subscribed>subscribing', 'subscribing>subscribed']);
  });

  it('drops duplicates (offset <= last seen in the same epoch)', async () => {
    const { client, server } = createTestClient();
    const got: number[] = [];
    const sub = client.subscribe('dups', (m) => got.push(m.offset));
    await sub.ready();
    const one = server.publish('dups', 'e', 1);
    const two = server.publish('dups', 'e', 2);
    const connection = server.last!;
    connection.send([one, two, one]);
    const three = server.publish('dups', 'e', 3);
    connection.send(three);
    await new Promise((resolve) => {
      const off = sub.on('message', (m) => {
        if (m.offset === 3) {
          off();
          resolve(m);
        }
      });
    });
    expect(got).toEqual([1, 2, 3]);
  });

  it('a new epoch (history lost) is not recovered and restarts offsets', async () => {
    const { client, server, clock } = createTestClient();
    const got: number[] = [];
    const sub = client.subscribe('r', (m) => got.push(m.offset));
    await sub.ready();
    server.publish('r', 'e', 1);
    server.publish('r', 'e', 2);
    await new Promise((resolve) => sub.on('message', (m) => m.offset === 2 && resolve(m)));
    server.loseHistory();
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    clock.increment(500);
    expect(await recovered).toEqual({ recovered: false, missed: 0 });
    server.publish('r', 'e', 'new');
    await new Promise((resolve) => sub.on('message', resolve));
    expect(got).toEqual([1, 2, 1]);
  });

  it('a refused subscription fails and ready() rejects with the server code', async () => {
    const { client, server } = createTestClient();
    server.intercept('sub', (message, connection) => {
      connection.send({
        type: 'res',
        id: message.id,
        error: { code: 'FORBIDDEN', message: 'not yours' },
      });
      return true;
    });
    const sub = client.subscribe('private');
    await expect(sub.ready()).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'not yours' });
    expect(sub.state).toBe('failed');
    expect(client.actors.subscriptions.has('private')).toBe(false);
  });

  it('a subscription refused for now (UNAVAILABLE) asks again after its backoff', async () => {
    const { client, server, clock } = createTestClient();
    await client.connect();
    server.intercept('sub', (message, connection) => {
      server.intercept('sub', undefined);
      connection.send({
        type: 'res',
        id: message.id,
        error: { code: 'UNAVAILABLE', message: 'busy' },
      });
      return true;
    });
    const sub = client.subscribe('later');
    // Answered after the refusal, over the same socket: the client has the refusal by then.
    await client.ping();
    expect(client.snapshot().subscriptions.later.value).toEqual({ subscribing: 'retrying' });
    expect(sub.state).toBe('subscribing');
    expect(server.last!.received.filter((m) => m.type === 'sub')).toHaveLength(1);
    clock.increment(500);
    await sub.ready();
    expect(server.last!.received.filter((m) => m.type === 'sub')).toHaveLength(2);
    expect(client.actors.subscriptions.get('later')?.getSnapshot().value).toBe('subscribed');
  });

  it('subscriptions fail when the client gives up', async () => {
    const { client, server, clock } = createTestClient({
      reconnect: { maxAttempts: 1, minDelayMs: 10, maxDelayMs: 10 },
    });
    const sub = client.subscribe('r');
    await sub.ready();
    server.down = true;
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    clock.increment(10);
    await nextEvent(client, 'state', ({ to }) => to === 'closed');
    expect(sub.state).toBe('failed');
    await expect(sub.ready()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('presence changes reach the handle', async () => {
    const { client, server } = createTestClient();
    const sub = client.subscribe('lobby');
    await sub.ready();
    const presence = new Promise((resolve) => sub.on('presence', resolve));
    server.last!.send({ type: 'join', room: 'lobby', uid: 'dave' });
    expect(await presence).toEqual({ room: 'lobby', uid: 'dave', action: 'join' });
  });

  it('a handler closing its own handle does not hide the message or presence from the next one', async () => {
    const { client, server } = createTestClient();
    const first = client.subscribe('shared');
    const second = client.subscribe('shared');
    const third = client.subscribe('shared');
    await Promise.all([first.ready(), second.ready(), third.ready()]);
    const seen: string[] = [];
    first.on('presence', () => first.close());
    second.on('presence', () => seen.push('second presence'));
    const presence = new Promise((resolve) => third.on('presence', resolve));
    server.last!.send({ type: 'join', room: 'shared', uid: 'dave' });
    await presence;
    second.on('message', () => second.close());
    third.on('message', () => seen.push('third message'));
    const message = new Promise((resolve) => client.onRoom('shared', resolve));
    server.publish('shared', 'e', 1);
    await message;
    expect(seen).toEqual(['second presence', 'third message']);
  });
});
