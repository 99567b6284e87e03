import { describe, expect, it } from 'vitest';
import type { Message, Subscription } from '../../src/index.js';
import type { HelloMsg, RoomMessage } from '../../src/protocol/frames.js';
import { createTestClient, FakeServer, nextEvent } from '../../src/testing/index.js';

/* `echo: false` (SimulatedClock, in-memory transport): the client never sees its own messages,
 * and its room position moves past them without losing anyone else's. Frames are scripted where
 * the order matters (an ack before an earlier message of another publisher, as on Redis). */

const EPOCH = 'epoch-1';
const NO_ECHO = { echo: false, reconnect: { minDelayMs: 100, maxDelayMs: 100 } } as const;

/** A client with echo off and an exact 100 ms reconnect delay. */
const noEchoClient = () => createTestClient(NO_ECHO);

function frame(offset: number, content: string, id = `bob-${offset}`, from = 'bob'): RoomMessage {
  return { type: 'msg', room: 'r', event: 'e', content, offset, epoch: EPOCH, id, from };
}

/** What a subscription delivered, as `offset:content`; `until(n)` waits for the n-th. */
function record(sub: Subscription) {
  const seen: string[] = [];
  let waiter: { count: number; resolve(): void } | undefined;
  sub.on('message', (m: Message) => {
    seen.push(`${m.offset}:${m.content}`);
    if (waiter && seen.length >= waiter.count) waiter.resolve();
  });
  const until = (count: number) =>
    seen.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          waiter = { count, resolve };
        });
  return { seen, until };
}

describe('echo: false (client)', () => {
  it('says so in hello; its own messages are acked and not delivered, everyone else’s are', async () => {
    const server = new FakeServer();
    const { client: me } = createTestClient({ server, uid: 'me', echo: false });
    const { client: peer } = createTestClient({ server, uid: 'peer' });
    const subs = [me.subscribe('r'), peer.subscribe('r')];
    const [mine, theirs] = subs.map(record);
    await Promise.all(subs.map((sub) => sub.ready()));
    const hellos = server.connections.map((c) => c.received.find((m) => m.type === 'hello'));
    expect((hellos as HelloMsg[]).map((h) => h.echo)).toEqual([false, undefined]);

    expect(await me.publish('r', 'e', 'mine')).toMatchObject({ offset: 1, epoch: EPOCH });
    await peer.publish('r', 'e', 'theirs');
    server.publish('r', 'e', 'server');
    await Promise.all([mine.until(2), theirs.until(3)]);
    expect(mine.seen).toEqual(['2:theirs', '3:server']);
    expect(theirs.seen).toEqual(['1:mine', '2:theirs', '3:server']);
  });

  it('an own ack ahead of an earlier message waits for it: the earlier message is delivered', async () => {
    const { client, server, clock } = noEchoClient();
    const sub = client.subscribe('r');
    const got = record(sub);
    await sub.ready();
    const first = server.last!;
    server.intercept('pub', () => true); // answered below, in the order under test

    // Own 2 is acked while bob's 1 is still on its way.
    const two = client.publish('r', 'e', 'own-2');
    const pubTwo = await first.next('pub');
    first.send({ type: 'acks', epoch: EPOCH, ids: [pubTwo.id], offsets: [2] });
    expect(await two).toMatchObject({ offset: 2, id: pubTwo.mid });
    first.send(frame(1, 'bob-1'));
    first.send(frame(3, 'bob-3'));
    await got.until(2);
    expect(got.seen).toEqual(['1:bob-1', '3:bob-3']);

    // Own 5 is acked while bob's 4 is on its way; then the connection is cut.
    const five = client.publish('r', 'e', 'own-5');
    const pubFive = await first.next('pub');
    first.send({ type: 'acks', epoch: EPOCH, ids: [pubFive.id], offsets: [5] });
    await five;
    first.close();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');

    // The position is 3, not 5: bob's 4 comes in the replay, with the own 5 (passed over).
    server.intercept('sub', (message, connection) => {
      connection.send([frame(4, 'bob-4'), frame(5, 'own-5', pubFive.mid, 'me'), frame(6, 'bob-6')]);
      connection.send({
        type: 'res',
        id: message.id,
        data: { epoch: EPOCH, offset: 6, recovered: true, missed: 3 },
      });
      return true;
    });
    const reopened = server.nextConnection();
    clock.increment(100);
    const second = await reopened;
    expect((await second.next('sub')).since).toEqual({ epoch: EPOCH, offset: 3 });
    await got.until(4);
    expect(got.seen).toEqual(['1:bob-1', '3:bob-3', '4:bob-4', '6:bob-6']);
  });

  it('own acks that follow the position move it: a resubscribe starts after them', async () => {
    const { client, server, clock } = noEchoClient();
    const sub = client.subscribe('r');
    const got = record(sub);
    await sub.ready();
    await client.publish('r', 'e', 'own-1');
    server.publish('r', 'e', 'bob-2', 'bob');
    await got.until(1);
    await client.publish('r', 'e', 'own-3');
    await client.publish('r', 'e', 'own-4');
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    const reopened = server.nextConnection();
    clock.increment(100);
    expect((await (await reopened).next('sub')).since).toEqual({ epoch: EPOCH, offset: 4 });
    expect(got.seen).toEqual(['2:bob-2']);
  });

  it('a publish stored but unacked when the socket went: the replay’s copy is passed over, the resend acked', async () => {
    const server = new FakeServer();
    const { client, clock } = createTestClient({ ...NO_ECHO, server, uid: 'me' });
    const { client: peer } = createTestClient({ server, uid: 'peer' });
    const sub = client.subscribe('r');
    const peerSub = peer.subscribe('r');
    const got = record(sub);
    const theirs = record(peerSub);
    await Promise.all([sub.ready(), peerSub.ready()]);
    await peer.publish('r', 'e', 'peer-1');
    await got.until(1);

    // The server stores the publish, but the socket is gone before its ack leaves.
    server.intercept('pub', (_message, connection) => {
      if (connection.uid === 'me') connection.close();
      return false;
    });
    const own = client.publish('r', 'e', 'own-2');
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    server.intercept('pub', undefined);
    await peer.publish('r', 'e', 'peer-3');

    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    const reopened = server.nextConnection();
    clock.increment(100);
    const connection = await reopened;
    expect((await connection.next('sub')).since).toEqual({ epoch: EPOCH, offset: 1 });
    expect(await recovered).toEqual({ recovered: true, missed: 2 });
    const resent = await connection.next('pub');
    expect(await own).toMatchObject({ offset: 2, id: resent.mid });
    await theirs.until(3);
    expect(got.seen).toEqual(['1:peer-1', '3:peer-3']);
    expect(theirs.seen).toEqual(['1:peer-1', '2:own-2', '3:peer-3']);
  });

  it('an own ack that comes before the subscribe answer is placed once the answer comes', async () => {
    const { client, server, clock } = noEchoClient();
    await client.connect();
    const connection = server.last!;
    server.intercept('sub', () => true);
    server.intercept('pub', () => true);
    const sub = client.subscribe('r');
    const subscribing = await connection.next('sub');
    const own = client.publish('r', 'e', 'own-1');
    const pub = await connection.next('pub');
    // The server read the room's position (0) before the publish was stored, then acked it.
    connection.send({ type: 'acks', epoch: EPOCH, ids: [pub.id], offsets: [1] });
    await own;
    connection.send({
      type: 'res',
      id: subscribing.id,
      data: { epoch: EPOCH, offset: 0, recovered: false, missed: 0 },
    });
    await sub.ready();
    server.intercept('sub', undefined);
    connection.close();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    const reopened = server.nextConnection();
    clock.increment(100);
    expect((await (await reopened).next('sub')).since).toEqual({ epoch: EPOCH, offset: 1 });
  });

  it('a publish that timed out is still known: its copy in a replay is passed over', async () => {
    const { client, server, clock } = createTestClient({
      ...NO_ECHO,
      timeoutMs: 1000,
    });
    const sub = client.subscribe('r');
    const got = record(sub);
    await sub.ready();
    server.intercept('pub', () => true);
    const own = client.publish('r', 'e', 'own-1');
    const pub = await server.last!.next('pub');
    const timedOut = expect(own).rejects.toMatchObject({ code: 'TIMEOUT' });
    clock.increment(1000);
    await timedOut;
    server.last!.close();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    server.intercept('sub', (message, connection) => {
      connection.send([frame(1, 'own-1', pub.mid, 'me'), frame(2, 'bob-2')]);
      connection.send({
        type: 'res',
        id: message.id,
        data: { epoch: EPOCH, offset: 2, recovered: true, missed: 2 },
      });
      return true;
    });
    clock.increment(100);
    await got.until(1);
    expect(got.seen).toEqual(['2:bob-2']);
  });

  it('a server that echoes anyway: the own copy is passed over, before or after its ack', async () => {
    const { client, server } = createTestClient({ echo: false });
    const sub = client.subscribe('r');
    const got = record(sub);
    await sub.ready();
    const connection = server.last!;
    server.intercept('pub', () => true);

    const one = client.publish('r', 'e', 'own-1');
    const pubOne = await connection.next('pub');
    connection.send(frame(1, 'own-1', pubOne.mid, 'me'));
    connection.send({ type: 'acks', epoch: EPOCH, ids: [pubOne.id], offsets: [1] });
    await one;
    const three = client.publish('r', 'e', 'own-3');
    const pubThree = await connection.next('pub');
    connection.send({ type: 'acks', epoch: EPOCH, ids: [pubThree.id], offsets: [3] });
    await three;
    connection.send([frame(2, 'bob-2'), frame(3, 'own-3', pubThree.mid, 'me'), frame(4, 'bob-4')]);
    await got.until(2);
    expect(got.seen).toEqual(['2:bob-2', '4:bob-4']);
  });

  it('with echo on (the default), own messages are delivered as before', async () => {
    const { client, server } = createTestClient();
    const sub = client.subscribe('r');
    const got = record(sub);
    await sub.ready();
    await client.publish('r', 'e', 'own-1');
    await got.until(1);
    expect(got.seen).toEqual(['1:own-1']);
    expect(server.last!.received.find((m) => m.type === 'hello')).not.toHaveProperty('echo');
  });
});
