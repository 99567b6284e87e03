import { describe, expect, it } from 'vitest';
import type { PubMsg } from '../../src/index.js';
import { createTestClient, nextEvent } from '../../src/testing/index.js';

type TestClient = ReturnType<typeof createTestClient>;

/** Drops the connection; resolves once the client is reconnecting. */
async function dropConnection({ client, server }: TestClient): Promise<void> {
  server.dropAll();
  await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
}

/** Lets the client's reconnect delay of `ms` pass: resolves with the server side of the new connection. */
function reconnectAfter({ server, clock }: TestClient, ms: number) {
  const reopened = server.nextConnection();
  clock.increment(ms);
  return reopened;
}

/** A client subscribed to `room` whose reconnects wait exactly 100 ms. */
async function subscribedClient(): Promise<TestClient> {
  const test = createTestClient({ reconnect: { minDelayMs: 100, maxDelayMs: 100 } });
  await test.client.subscribe('room').ready();
  return test;
}

describe('calls (SimulatedClock, in-memory transport)', () => {
  it('publish resolves on the ack with offset, epoch and id', async () => {
    const { client, server } = createTestClient();
    await client.subscribe('room').ready();
    const ack = await client.publish('room', 'e', { n: 1 });
    expect(ack).toEqual({ offset: 1, epoch: server.epoch, id: expect.any(String) });
    const pub = (await server.last!.next('pub')) as PubMsg;
    expect(pub.mid).toMatch(/^[\w-]{21}$/);
  });

  it('gathered acks resolve each publish with its offset, the epoch and its own mid', async () => {
    const { client, server } = createTestClient();
    await client.subscribe('room').ready();
    const held: PubMsg[] = [];
    server.intercept('pub', (message) => {
      held.push(message);
      return true;
    });
    const acks = [client.publish('room', 'e', 1), client.publish('room', 'e', 2)];
    const other = client.publish('room', 'e', 3);
    await server.last!.next('pub');
    await server.last!.next('pub');
    await server.last!.next('pub');
    const [first, second, third] = held;
    server.last!.send({
      type: 'acks',
      epoch: 'E',
      ids: [second.id, 999, first.id],
      offsets: [8, 9, 7],
    });
    expect(await Promise.all(acks)).toEqual([
      { offset: 7, epoch: 'E', id: first.mid },
      { offset: 8, epoch: 'E', id: second.mid },
    ]);
    // Unanswered ids stay pending until their own answer.
    const data = { offset: 10, epoch: 'E', id: third.mid as string };
    server.last!.send({ type: 'res', id: third.id, data });
    expect(await other).toEqual(data);
  });

  it('publish into a room the client is not in fails FORBIDDEN', async () => {
    const { client } = createTestClient();
    await client.connect();
    await expect(client.publish('elsewhere', 'e', 1)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('request, send, ping, history, presence', async () => {
    const { client, server } = createTestClient({ uid: 'u1' });
    const sent: unknown[] = [];
    server.on('double', (n) => (n as number) * 2);
    server.on('note', (content) => {
      sent.push(content);
      return null;
    });
    const sub = client.subscribe('h');
    await sub.ready();
    expect(await client.request('double', 21)).toBe(42);
    await expect(client.request('missing', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    client.send('note', 'fire and forget');
    expect(await client.ping()).toBe(0);
    expect(sent).toEqual(['fire and forget']);
    await client.publish('h', 'a', 1);
    await client.publish('h', 'b', 2);
    const page = await client.history('h', { limit: 1 });
    expect(page).toEqual({
      epoch: server.epoch,
      offset: 2,
      complete: true,
      messages: [
        { room: 'h', event: 'b', content: 2, offset: 2, id: expect.any(String), from: 'u1' },
      ],
    });
    expect(await client.presence('h')).toEqual(['u1']);
  });

  it('publishes made offline are buffered and sent after the resubscribe, in order', async () => {
    const test = await subscribedClient();
    const { client } = test;
    await dropConnection(test);
    const first = client.publish('room', 'e', 1);
    const second = client.publish('room', 'e', 2);
    const connection = await reconnectAfter(test, 100);
    expect((await first).offset).toBe(1);
    expect((await second).offset).toBe(2);
    const types = connection.received.map((m) => m.type);
    expect(types).toEqual(['hello', 'sub', 'pub', 'pub']);
  });

  it('a publish in flight when the socket drops is resent with the same mid (no duplicate)', async () => {
    const test = createTestClient();
    const { client, server } = test;
    await client.subscribe('room').ready();
    // The server stores the message, but the connection dies before the ack goes out.
    server.intercept('pub', (_message, connection) => {
      server.intercept('pub', undefined);
      connection.close(1006, '');
      return false;
    });
    const got: number[] = [];
    client.onRoom('room', (m) => got.push(m.offset));
    const publish = client.publish('room', 'e', 'once');
    const pub1 = await server.last!.next('pub');
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    const connection = await reconnectAfter(test, 500);
    const pub2 = await connection.next('pub');
    expect(pub2.mid).toBe(pub1.mid);
    expect(await publish).toMatchObject({ offset: 1 });
    // Recovered once from history, not delivered again by the resend.
    expect(got).toEqual([1]);
    expect((await client.history('room')).messages).toHaveLength(1);
  });

  it('pending requests reject DISCONNECTED on loss; requests while reconnecting fail at once', async () => {
    const { client, server } = createTestClient();
    server.intercept('req', () => true);
    await client.connect();
    const pending = client.request('slow', null);
    await server.last!.next('req');
    server.dropAll();
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(client.state).toBe('reconnecting');
    await expect(client.request('x', null)).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(client.ping()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('calls before the first sign-in wait for it', async () => {
    const { client, server } = createTestClient();
    server.on('hello', () => 'world');
    const reply = client.request('hello', null);
    expect(client.state).toBe('connecting');
    expect(await reply).toBe('world');
  });

  it('timeouts run on the client clock from the moment a call is sent', async () => {
    const test = createTestClient({
      timeoutMs: 1000,
      reconnect: { minDelayMs: 5000, maxDelayMs: 5000 },
    });
    const { client, server, clock } = test;
    server.intercept('pub', () => true);
    await client.subscribe('room').ready();
    await dropConnection(test);
    let settled = false;
    const publish = client.publish('room', 'e', 1);
    publish.catch(() => {
      settled = true;
    });
    // Buffered for 5 s: no timeout while it waits.
    const connection = await reconnectAfter(test, 5000);
    await connection.next('pub');
    expect(settled).toBe(false);
    clock.increment(999);
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.increment(1);
    await expect(publish).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('the offline buffer is bounded by maxBuffered', async () => {
    const { client, server } = createTestClient({ maxBuffered: 2 });
    await client.subscribe('room').ready();
    server.down = true;
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    const kept = [client.publish('room', 'e', 1), client.publish('room', 'e', 2)];
    await expect(client.publish('room', 'e', 3)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(() => client.send('x', 1)).toThrow(/maxBuffered/);
    await client.disconnect();
    for (const publish of kept)
      await expect(publish).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('a message bigger than the server maxPayload is refused locally', async () => {
    const { client } = createTestClient({ server: { maxPayload: 1000 } });
    await client.subscribe('room').ready();
    await expect(client.publish('room', 'e', 'x'.repeat(2000))).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect((await client.publish('room', 'e', 'small')).offset).toBe(1);
  });

  it('an oversize send made offline is reported on error; the rest of the buffer goes out', async () => {
    const { client } = createTestClient({ server: { maxPayload: 1000 } });
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    const ready = client.subscribe('room').ready();
    client.send('big', 'x'.repeat(2000));
    const publish = client.publish('room', 'e', 'small');
    await client.connect();
    await ready;
    expect((await publish).offset).toBe(1);
    expect(errors).toEqual([
      { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String), recoverable: expect.any(Boolean) },
    ]);
  });

  it('a publish sends its content as it was at publish(): changing the object after does not', async () => {
    const { client, server } = createTestClient();
    await client.subscribe('room').ready();
    const state = { n: 1 };
    const first = client.publish('room', 'e', state);
    state.n = 2;
    const second = client.publish('room', 'e', state);
    await Promise.all([first, second]);
    const pubs = server.last!.received.filter(
      (message): message is PubMsg => message.type === 'pub',
    );
    expect(pubs.map((pub) => pub.content)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('a publish made offline sends its content as it was at publish(), not at the reconnect', async () => {
    const test = await subscribedClient();
    const { client } = test;
    await dropConnection(test);
    const state = { n: 1 };
    const ack = client.publish('room', 'e', state);
    client.send('note', state);
    state.n = 2;
    const connection = await reconnectAfter(test, 100);
    await ack;
    const sent = connection.received.filter((m) => m.type === 'pub' || m.type === 'send');
    expect(sent.map((m) => (m as { content: unknown }).content)).toEqual([{ n: 1 }, { n: 1 }]);
  });

  it('a publish resent after a loss carries its content as it was at publish()', async () => {
    const test = await subscribedClient();
    const { client, server } = test;
    server.intercept('pub', () => true);
    const state = { n: 1 };
    const ack = client.publish('room', 'e', state);
    const first = (await server.last!.next('pub')) as PubMsg;
    state.n = 2;
    server.intercept('pub', undefined);
    await dropConnection(test);
    const resent = (await (await reconnectAfter(test, 100)).next('pub')) as PubMsg;
    await ack;
    expect(resent).toMatchObject({ mid: first.mid, content: { n: 1 } });
    expect(resent.id).not.toBe(first.id);
  });

  it('large bursts are split into frames under maxPayload', async () => {
    const { client, server } = createTestClient({ server: { maxPayload: 3000 } });
    await client.subscribe('room').ready();
    const connection = server.last!;
    const before = connection.frames.length;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.publish('room', 'e', 'y'.repeat(50 + i))),
    );
    const frames = connection.frames.slice(before);
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames)
      expect(new TextEncoder().encode(frame).length).toBeLessThanOrEqual(3000);
  });

  it('an oversize publish among small ones of one frame is refused; the others go out in order', async () => {
    const { client } = createTestClient({ server: { maxPayload: 1000 } });
    await client.subscribe('room').ready();
    const small = (n: number) => client.publish('room', 'e', n);
    const sent = [small(1), client.publish('room', 'e', 'x'.repeat(2000)), small(2), small(3)];
    const [first, big, second, third] = await Promise.allSettled(sent);
    expect(big).toMatchObject({ status: 'rejected', reason: { code: 'PAYLOAD_TOO_LARGE' } });
    const offsets = [first, second, third].map(
      (settled) => (settled as PromiseFulfilledResult<{ offset: number }>).value.offset,
    );
    expect(offsets).toEqual([1, 2, 3]);
  });
});
