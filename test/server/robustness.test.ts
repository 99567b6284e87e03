import { afterEach, describe, expect, it } from 'vitest';
import type { Server } from '../../src/server/index.js';
import {
  closeServers,
  roundTrip,
  signIn,
  simulatedTime,
  startServer,
  subscribe,
  TestClient,
  turn,
} from './helpers.js';

afterEach(closeServers);

/** The server still answers a bystander: a pong and a direct message. */
async function stillServes(server: Server, bystander: TestClient, uid: string) {
  const id = bystander.id();
  bystander.send({ type: 'ping', id });
  await bystander.next('pong', (f) => f.id === id);
  const stored = await server.publish(uid, 'check', id);
  await bystander.next('msg', (f) => f.id === stored.id);
}

async function setup(options = {}) {
  const server = await startServer(options);
  const bystander = await signIn(server.url, 'bystander');
  return { server, bystander, served: () => stillServes(server, bystander, 'bystander') };
}

describe('bad input never crashes the server', () => {
  it('malformed JSON: BAD_REQUEST error frame, connection stays', async () => {
    const { server, served } = await setup();
    const client = await signIn(server.url, 'alice');
    client.send('{not json');
    expect(await client.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
    client.send('[]');
    expect(await client.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
    await stillServes(server, client, 'alice');
    await served();
  });

  it('unknown types and missing fields: res error with the id, error frame without', async () => {
    const { server, served } = await setup();
    const client = await signIn(server.url, 'alice');
    client.send({ type: 'teleport', id: 41 });
    expect(await client.next('res', (f) => f.id === 41)).toMatchObject({
      error: { code: 'BAD_REQUEST' },
    });
    client.send({ type: 'pub', id: 42, room: 'x' });
    const missing = await client.next('res', (f) => f.id === 42);
    expect(missing.error).toEqual({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('event'),
    });
    client.send({ type: 'send' });
    expect(await client.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
    client.send({ id: 43 });
    expect(await client.next('res', (f) => f.id === 43)).toMatchObject({
      error: { code: 'BAD_REQUEST' },
    });
    client.send([1, null, { type: 'ping', id: 44 }]);
    expect(await client.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await client.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await client.next('pong')).toEqual({ type: 'pong', id: 44 });
    client.send({ type: 'hello', v: 1 });
    expect(await client.next('error')).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'already signed in',
    });
    client.send({ type: 'qreg', id: 45 });
    expect(await client.next('res', (f) => f.id === 45)).toMatchObject({
      error: { code: 'BAD_REQUEST' },
    });
    expect(client.isOpen).toBe(true);
    await served();
  });

  it('binary frame: error, then close 1002', async () => {
    const { server, served } = await setup();
    const client = await signIn(server.url, 'alice');
    client.ws.send(Buffer.from([1, 2, 3]));
    expect(await client.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await client.closed).code).toBe(1002);
    await served();
  });

  it('text frame that is not UTF-8: close 1007', async () => {
    const { server, served } = await setup();
    const client = await signIn(server.url, 'alice');
    client.ws.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false });
    expect((await client.closed).code).toBe(1007);
    await served();
  });

  it('frames before auth: BAD_REQUEST, then close 1008', async () => {
    const { server, served } = await setup();
    const early = [
      { type: 'sub', id: 1, room: 'x' },
      '{broken',
      [
        { type: 'hello', v: 1 },
        { type: 'ping', id: 1 },
      ],
    ];
    for (const frame of early) {
      const client = new TestClient(server.url);
      await client.opened;
      client.send(frame);
      expect(await client.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
      expect(await client.closed).toEqual({ code: 1008, reason: 'BAD_REQUEST' });
    }
    await served();
  });

  it('oversize frame: close 1009', async () => {
    const { server, served } = await setup({ maxPayload: 1024 });
    const client = await signIn(server.url, 'alice');
    const welcome = client.log[0];
    expect(welcome.maxPayload).toBe(1024);
    client.send({ type: 'send', event: 'big', content: 'x'.repeat(2000) });
    expect((await client.closed).code).toBe(1009);
    await served();
  });

  it('rate limit: RATE_LIMITED answers over the burst, sustained flooding closes 1008', async () => {
    const { server, served } = await setup({
      rateLimit: { messagesPerSecond: 1, burst: 5, disconnectAfter: 10 },
    });
    const client = await signIn(server.url, 'alice');
    client.send(Array.from({ length: 8 }, (_, i) => ({ type: 'ping', id: i })));
    const answers = [];
    for (let i = 0; i < 8; i++) {
      answers.push(
        await Promise.race([
          client.next('pong', (f) => f.id === i),
          client.next('res', (f) => f.id === i),
        ]),
      );
    }
    expect(answers.filter((f) => f.type === 'pong')).toHaveLength(5);
    expect(answers.filter((f) => f.type === 'res').map((f) => f.error.code)).toEqual([
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    expect(client.isOpen).toBe(true);

    client.send(Array.from({ length: 20 }, (_, i) => ({ type: 'ping', id: 100 + i })));
    expect(await client.closed).toEqual({ code: 1008, reason: 'RATE_LIMITED' });
    await served();
  });

  it('slow consumer: over maxBufferedBytes the connection is closed 1013', async () => {
    const { server, bystander, served } = await setup({
      maxBufferedBytes: 64 * 1024,
      closeTimeoutMs: 10_000,
    });
    const slow = await signIn(server.url, 'slow');
    await subscribe(bystander, 'watch');
    await subscribe(slow, 'watch');
    await bystander.next('join', (f) => f.uid === 'slow');
    // reaching into the client's TCP socket on purpose, to stop reading
    const socket = (slow.ws as any)._socket;
    socket.pause();
    const blob = 'x'.repeat(256 * 1024);
    let left = false;
    bystander
      .next('leave', (f) => f.uid === 'slow')
      .then(() => {
        left = true;
      });
    for (let i = 0; i < 400 && !left; i++) {
      await server.publish('slow', 'blob', blob);
      await turn();
    }
    expect(left).toBe(true);
    socket.resume();
    expect(await slow.closed).toEqual({ code: 1013, reason: 'SLOW_CONSUMER' });
    await served();
  });
});

describe('heartbeat and ping', () => {
  it('answers app-level ping with pong', async () => {
    const { server } = await setup();
    const client = await signIn(server.url, 'alice');
    client.send({ type: 'ping', id: 'abc' });
    expect(await client.next('pong')).toEqual({ type: 'pong', id: 'abc' });
  });

  it('closes a silent connection (no frames, no pongs) with 1001 HEARTBEAT_TIMEOUT', async () => {
    const { clock, now } = simulatedTime();
    const { server, bystander, served } = await setup({ heartbeatMs: 40, clock, now });
    const silent = await signIn(server.url, 'silent', { autoPong: false });
    const alive = await signIn(server.url, 'alive');
    // Both only answer WS pings. A client's own WS ping is not activity for the server, and
    // the pong to it comes after the server has handled the pongs the client sent before.
    const pingAnswered = async (client: TestClient, pinged: Promise<void>) => {
      await pinged;
      await new Promise<void>((resolve) => {
        client.ws.once('pong', () => resolve());
        client.ws.ping();
      });
    };
    const nextPing = (client: TestClient) =>
      Promise.race([
        new Promise<void>((resolve) => client.ws.once('ping', () => resolve())),
        client.closed.then((closed) => {
          throw new Error(`closed instead of pinged: ${JSON.stringify(closed)}`);
        }),
      ]);
    for (let tick = 1; tick <= 5; tick++) {
      const pinged = [alive, bystander].map((client) => ({ client, ping: nextPing(client) }));
      clock.increment(40);
      await Promise.all(pinged.map(({ client, ping }) => pingAnswered(client, ping)));
    }
    expect(await silent.closed).toEqual({ code: 1001, reason: 'HEARTBEAT_TIMEOUT' });
    expect(alive.isOpen).toBe(true);
    await served();
  });

  it('heartbeatMs 0: welcome says so, no pings, a silent connection stays', async () => {
    const { clock, now } = simulatedTime();
    const { server } = await setup({ heartbeatMs: 0, clock, now });
    const silent = await signIn(server.url, 'silent', { autoPong: false });
    expect(silent.log[0]).toMatchObject({ type: 'welcome', heartbeatMs: 0 });
    let pings = 0;
    silent.ws.on('ping', () => pings++);
    clock.increment(24 * 60 * 60 * 1000);
    await roundTrip(silent);
    expect(pings).toBe(0);
    expect(silent.isOpen).toBe(true);
  });
});

describe('outgoing coalescing', () => {
  it('sends messages queued in one turn as one batch frame', async () => {
    const { server } = await setup();
    const client = await signIn(server.url, 'alice');
    await subscribe(client, 'burst');
    const before = client.frames.length;
    await Promise.all(Array.from({ length: 10 }, (_, i) => server.publish('burst', 'e', i)));
    for (let i = 0; i < 10; i++) expect((await client.next('msg')).content).toBe(i);
    const batch = client.frames.slice(before);
    expect(batch).toHaveLength(1);
    expect(JSON.parse(batch[0])).toHaveLength(10);
  });
});
