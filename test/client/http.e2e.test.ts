import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  type Client,
  type ClientOptions,
  createClient,
  type Message,
  type Transport,
  webSocketTransport,
  withClient,
} from '../../src/index.js';
import { onCleanup, startServer } from './e2eHelpers.js';

/* Transient use over real HTTP against the real server on port 0. Every wait is on an event. */

/** The WebSocket transport, counting the sockets the client opens. */
function countingTransport() {
  const inner = webSocketTransport();
  const counter = { opened: 0 };
  const transport: Transport = {
    connect(url, handlers) {
      counter.opened++;
      return inner.connect(url, handlers);
    },
  };
  return { transport, counter };
}

/** A transient client: no socket is expected, `sockets.opened` proves it. */
function transientClient(options: ClientOptions) {
  const { transport, counter } = countingTransport();
  const client = createClient({ transport, ...options });
  onCleanup(() => client.disconnect());
  return { client, sockets: counter };
}

function liveClient(options: ClientOptions): Client {
  const client = createClient(options);
  onCleanup(() => client.disconnect());
  return client;
}

function nextMessage(client: Client, room: string): Promise<Message> {
  return new Promise((resolve) => {
    const off = client.onRoom(room, (message) => {
      off();
      resolve(message);
    });
  });
}

/** A TCP proxy in front of the server that cuts the first `drop` connections on their request. */
async function droppingProxy(port: number, drop: number) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const proxy = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (++connections <= drop) {
      socket.once('data', () => socket.destroy());
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address() as { port: number };
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${address.port}`, connections: () => connections };
}

describe('transient use over HTTP (real server)', () => {
  it('a transient publish reaches a live subscriber; the publisher opens no socket', async () => {
    const server = await startServer();
    const reader = liveClient({ url: server.url, uid: 'reader' });
    await reader.subscribe('news').ready();
    expect(server.connections).toBe(1);

    const { client: writer, sockets } = transientClient({ url: server.url, uid: 'writer' });
    const received = nextMessage(reader, 'news');
    const ack = await writer.publish('news', 'headline', { title: 'over HTTP' });
    const message = await received;
    expect(message).toMatchObject({
      room: 'news',
      event: 'headline',
      content: { title: 'over HTTP' },
      offset: ack.offset,
      from: 'writer',
    });
    expect(sockets.opened).toBe(0);
    expect(writer.state).toBe('idle');
    expect(server.connections).toBe(1);
  });

  it('history, presence, request, queueMessage and rpc over HTTP', async () => {
    const server = await startServer();
    server.on('double', (n) => (n as number) * 2);
    const worker = liveClient({ url: server.url, uid: 'worker' });
    await worker.subscribe('news').ready();
    await worker.registerQueue('math', ({ data }) => (data as number) + 1);
    for (const n of [1, 2, 3]) await server.publish('news', 'n', n);

    const { client, sockets } = transientClient({ url: server.url, uid: 'tool' });
    const page = await client.history('news', { limit: 2 });
    expect(page.messages.map((m) => m.content)).toEqual([2, 3]);
    const since = { epoch: page.epoch, offset: 2 };
    expect((await client.history('news', { since })).messages.map((m) => m.offset)).toEqual([3]);
    expect(await client.presence('news')).toEqual(['worker']);
    expect(await client.request('double', 21)).toBe(42);
    expect(await client.queueMessage('math', 1)).toEqual({ id: expect.any(String) });
    expect(await client.rpc('math', 41)).toBe(42);
    await expect(client.request('missing', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(sockets.opened).toBe(0);
  });

  it('a read is retried after its connection was dropped; a publish is not', async () => {
    const server = await startServer();
    await server.publish('news', 'n', 1);
    const proxy = await droppingProxy(server.port, 1);
    const { client } = transientClient({ url: server.url, httpUrl: proxy.url, random: () => 0 });
    const page = await client.history('news');
    expect(page.messages.map((m) => m.content)).toEqual([1]);
    expect(proxy.connections()).toBe(2);

    const strict = await droppingProxy(server.port, 1);
    const { client: noRetry } = transientClient({
      url: server.url,
      httpUrl: strict.url,
      maxRetries: 0,
    });
    await expect(noRetry.history('news')).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    const once = await droppingProxy(server.port, 1);
    const { client: writer } = transientClient({ url: server.url, httpUrl: once.url });
    await expect(writer.publish('news', 'n', 2)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(once.connections()).toBe(1);
  });

  it('a call without an answer within timeoutMs rejects TIMEOUT', async () => {
    const server = await startServer();
    let release!: () => void;
    const held = new Promise<null>((resolve) => {
      release = () => resolve(null);
    });
    onCleanup(() => release());
    let called!: () => void;
    const handlerCalled = new Promise<void>((resolve) => {
      called = resolve;
    });
    server.on('slow', () => {
      called();
      return held;
    });
    const { client, sockets } = transientClient({ url: server.url, timeoutMs: 300 });
    const answer = client.request('slow', null);
    await handlerCalled;
    await expect(answer).rejects.toMatchObject({ code: 'TIMEOUT', recoverable: true });
    expect(sockets.opened).toBe(0);
  });

  it('TOKEN_EXPIRED over HTTP: the token function is called again and the call retried', async () => {
    const verified: string[] = [];
    const server = await startServer({
      auth: {
        verifyToken: (token) => {
          verified.push(token);
          return { uid: 'w', expiresAt: token === 'stale' ? Date.now() - 1 : undefined };
        },
      },
    });
    const tokens = ['stale', 'fresh'];
    const { client } = transientClient({ url: server.url, token: () => tokens.shift()! });
    expect(await client.publish('news', 'n', 1)).toMatchObject({ offset: 1 });
    expect(verified).toEqual(['stale', 'fresh']);
    expect((await client.history('news')).messages[0]).toMatchObject({ from: 'w' });

    const { client: fixed } = transientClient({ url: server.url, token: 'stale' });
    await expect(fixed.presence('news')).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('withClient: a short-lived program publishes with no socket and leaves', async () => {
    const server = await startServer();
    const reader = liveClient({ url: server.url });
    await reader.subscribe('jobs').ready();
    const received = nextMessage(reader, 'jobs');
    const { transport, counter } = countingTransport();
    const ack = await withClient({ url: server.url, transport }, (client) =>
      client.publish('jobs', 'done', { id: 7 }),
    );
    expect((await received).offset).toBe(ack.offset);
    expect(counter.opened).toBe(0);

    // A subscription opens a socket; withClient closes it, also when fn throws.
    const failure = new Error('fn failed');
    const left = new Promise<string>((resolve) => {
      reader.subscribe('jobs').on('presence', ({ uid, action }) => {
        if (action === 'leave') resolve(uid);
      });
    });
    await expect(
      withClient({ url: server.url, uid: 'short' }, async (client) => {
        await client.subscribe('jobs').ready();
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await left).toBe('short');
  });
});
