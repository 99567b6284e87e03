import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServers, signIn, simulatedTime, startServer, subscribe } from './helpers.js';
import { call } from './httpHelpers.js';
import { rawPeer, upgradeHead } from './rawSocket.js';

/*
 * Slow-loris: peers that start a request and never finish it are cut by the server within the
 * (small, here) deadlines; each test waits for the server to close the socket. With the
 * defaults (seconds) these tests would run into their own 5 s limit and fail.
 */

const LIMIT = { timeout: 5000 };
const SHORT = {
  headersTimeoutMs: 150,
  requestTimeoutMs: 300,
  keepAliveTimeoutMs: 100,
  handshakeTimeoutMs: 150,
  closeTimeoutMs: 100,
};

afterEach(closeServers);

describe('HTTP deadlines of the broker’s own server', () => {
  it('cuts partial headers with 408', LIMIT, async () => {
    const server = await startServer(SHORT);
    const peer = await rawPeer(server.port, 'GET /v1/history?room=a HTTP/1.1\r\nHost: x\r\n');
    await peer.closed;
    expect(peer.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts a partial WebSocket upgrade request', LIMIT, async () => {
    const server = await startServer(SHORT);
    const peer = await rawPeer(server.port, upgradeHead('/'));
    await peer.closed;
    expect(peer.received()).not.toContain('101');
  });

  it('cuts a partial body with 408', LIMIT, async () => {
    const server = await startServer(SHORT);
    const head =
      'POST /v1/publish HTTP/1.1\r\nHost: x\r\nX-Statewire-Uid: slow\r\n' +
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"room":';
    const peer = await rawPeer(server.port, head);
    await peer.closed;
    expect(peer.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes an idle keep-alive connection after its answer', LIMIT, async () => {
    const server = await startServer(SHORT);
    const request =
      'GET /v1/history?room=a HTTP/1.1\r\nHost: x\r\nX-Statewire-Uid: idle\r\n' +
      'Connection: keep-alive\r\n\r\n';
    const peer = await rawPeer(server.port, request);
    await peer.closed;
    expect(peer.received()).toMatch(/^HTTP\/1\.1 200/);
  });

  it('closes a refused upgrade though the peer keeps its side open', LIMIT, async () => {
    const server = await startServer({ ...SHORT, allowedOrigins: ['https://app.example'] });
    const peer = await rawPeer(server.port, `${upgradeHead('/', { Origin: 'https://evil' })}\r\n`);
    await peer.closed;
    expect(peer.received()).toMatch(/^HTTP\/1\.1 403/);
  });

  it('cuts an upgrade that never finishes the session handshake (no hello)', LIMIT, async () => {
    const server = await startServer(SHORT);
    const peer = await rawPeer(server.port, `${upgradeHead('/')}\r\n`);
    await peer.receivedText('101 Switching Protocols');
    // The peer answers nothing, not even the close frame: closeTimeoutMs cuts it.
    await peer.closed;
  });

  it('serves a normal client while slow peers hang on', LIMIT, async () => {
    const server = await startServer({ ...SHORT, headersTimeoutMs: 1500, requestTimeoutMs: 1500 });
    const slow = await Promise.all([
      rawPeer(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n'),
      rawPeer(server.port, upgradeHead('/')),
      rawPeer(
        server.port,
        'POST /v1/publish HTTP/1.1\r\nHost: x\r\nX-Statewire-Uid: s\r\nContent-Length: 50\r\n\r\n{',
      ),
    ]);
    const alice = await signIn(server.url, 'alice');
    await subscribe(alice, 'lobby');
    const answer = await call(server, '/v1/publish', {
      uid: 'bob',
      body: { room: 'lobby', event: 'chat', content: 'hi' },
    });
    expect(answer.status).toBe(200);
    expect((await alice.next('msg')).content).toBe('hi');
    await Promise.all(slow.map((peer) => peer.closed));
    await alice.close();
  });
});

describe('HTTP deadlines on an app’s server', () => {
  let app: HttpServer | undefined;

  afterEach(async () => {
    await closeServers();
    await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
    app = undefined;
  });

  async function listen(server: HttpServer): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  it('the broker cuts a slow body under its path (Node allows 300 s)', LIMIT, async () => {
    app = createHttpServer((_req, res) => res.end('app'));
    await startServer({ server: app, path: '/realtime', requestTimeoutMs: 200 });
    const port = await listen(app);
    const head =
      'POST /realtime/v1/publish HTTP/1.1\r\nHost: x\r\nX-Statewire-Uid: slow\r\n' +
      'Content-Length: 100\r\n\r\n{';
    const peer = await rawPeer(port, head);
    await peer.closed;
    expect(peer.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('times the body deadline on the server’s clock', LIMIT, async () => {
    app = createHttpServer((_req, res) => res.end('app'));
    const { clock, now } = simulatedTime();
    await startServer({ server: app, path: '/realtime', requestTimeoutMs: 60_000, clock, now });
    const port = await listen(app);
    // Runs after the broker's own listener, which has armed the deadline by then.
    const arrived = new Promise((resolve) => app?.once('request', resolve));
    const peer = await rawPeer(
      port,
      'POST /realtime/v1/publish HTTP/1.1\r\nHost: x\r\nX-Statewire-Uid: slow\r\nContent-Length: 9\r\n\r\n{',
    );
    await arrived;
    clock.increment(60_000);
    await peer.closed;
    expect(peer.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts an upgrade outside its path that no app listener answers', LIMIT, async () => {
    app = createHttpServer((_req, res) => res.end('app'));
    const answered: string[] = [];
    app.on('upgrade', (req) => answered.push(req.url ?? '')); // the app's listener ignores it
    await startServer({ server: app, path: '/realtime', upgradeTimeoutMs: 150 });
    const port = await listen(app);
    const peer = await rawPeer(port, `${upgradeHead('/nobody')}\r\n`);
    await peer.closed;
    expect(answered).toEqual(['/nobody']);
    expect(peer.received()).toBe('');
  });

  it(
    'closes an upgrade outside its path at once when the app has no upgrade listener',
    LIMIT,
    async () => {
      app = createHttpServer((_req, res) => res.end('app'));
      await startServer({ server: app, path: '/realtime' });
      const port = await listen(app);
      const peer = await rawPeer(port, `${upgradeHead('/other')}\r\n`);
      await peer.closed;
      expect(peer.received()).toBe('');
    },
  );
});
