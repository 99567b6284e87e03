import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createClient } from '../../src/api/index.js';
import { createServer, type Server } from '../../src/server/index.js';
import { closeServers, signIn, startServer, subscribe } from './helpers.js';

/** The app's own routes: `/health`, and its 404 for anything else. */
function appRoutes(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(req.url === '/health' ? 'app ok' : `app has no ${req.url}`);
}

/** The app's own WebSocket endpoint at `/app-ws`: echoes every message. */
function appWebSocket(server: HttpServer): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${data}`)));
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/app-ws')
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws));
  });
  return wss;
}

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function echoOnce(url: string): Promise<string> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const answer = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
  ws.send('ping');
  const text = await answer;
  ws.close();
  return text;
}

async function text(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

let apps: HttpServer[] = [];

afterEach(async () => {
  await closeServers();
  await Promise.all(apps.map((app) => new Promise((resolve) => app.close(resolve))));
  apps = [];
});

function appServer(): HttpServer {
  const app = createHttpServer(appRoutes);
  app.keepAliveTimeout = 1; // lets afterEach's close() end fetch's idle keep-alive sockets soon
  apps.push(app);
  return app;
}

describe('createServer({ server, path }) on an app’s http.Server', () => {
  it('serves the broker under the path next to the app’s routes and WebSocket', async () => {
    const app = appServer();
    const appWss = appWebSocket(app);
    const port = await listen(app);
    const broker = await startServer({ server: app, path: '/realtime' });
    expect(broker.url).toBe(`ws://127.0.0.1:${port}/realtime`);
    expect(broker.httpUrl).toBe(`http://127.0.0.1:${port}/realtime`);
    expect(broker.port).toBe(port);

    const reader = createClient({ url: broker.url, uid: 'reader' });
    const lobby = reader.subscribe('lobby');
    await lobby.ready();
    const delivered = new Promise((resolve) => lobby.on('message', (m) => resolve(m.content)));
    // A lazy client without subscriptions publishes over HTTP, at <path>/v1/publish.
    const writer = createClient({ url: broker.url, uid: 'writer' });
    await writer.publish('lobby', 'chat', 'over http');
    expect(writer.isConnected).toBe(false);
    expect(await delivered).toBe('over http');

    expect(await text(`http://127.0.0.1:${port}/health`)).toEqual({ status: 200, body: 'app ok' });
    expect((await text(`http://127.0.0.1:${port}/v1/history?room=lobby`)).body).toBe(
      'app has no /v1/history?room=lobby',
    );
    const history = await fetch(`${broker.httpUrl}/v1/history?room=lobby`, {
      headers: { 'x-statewire-uid': 'reader' },
    });
    expect((await history.json()).messages.map((m: { content: unknown }) => m.content)).toEqual([
      'over http',
    ]);
    expect(await echoOnce(`ws://127.0.0.1:${port}/app-ws`)).toBe('echo ping');

    await reader.disconnect();
    await writer.disconnect();
    appWss.close();
  });

  it('close() ends the broker’s sessions but leaves the app’s server up; start() again', async () => {
    const app = appServer();
    const port = await listen(app);
    const broker = await startServer({ server: app, path: '/realtime' });
    const alice = await signIn(broker.url, 'alice');

    await broker.close();
    await alice.closed;
    expect(broker.connections).toBe(0);
    expect(app.listening).toBe(true);
    expect(await text(`http://127.0.0.1:${port}/health`)).toEqual({ status: 200, body: 'app ok' });
    // The broker's listeners are gone: its path is the app's again.
    expect((await text(`${broker.httpUrl}/v1/history?room=a`)).body).toBe(
      'app has no /realtime/v1/history?room=a',
    );

    await broker.start();
    const bob = await signIn(broker.url, 'bob');
    await subscribe(bob, 'lobby');
    expect(broker.connections).toBe(1);
    await bob.close();
  });

  it('checks its front options at construction', () => {
    expect(() => createServer({ server: createHttpServer(), port: 8080 })).toThrow(TypeError);
    expect(() => createServer({ noServer: true, backlog: 10 })).toThrow(/backlog/);
    expect(() => createServer({ backlog: 0 })).toThrow(/backlog must be a positive integer/);
    expect(() => createServer({ path: 'realtime' })).toThrow(/path must start with/);
    expect(() => createServer({ headersTimeoutMs: 40_000 })).toThrow(/requestTimeoutMs/);
  });
});

describe('listen queue of the broker’s own server', () => {
  /** The queue length of a listening socket, read off the kernel (`ss` prints it as Send-Q). */
  function listenQueueOf(port: number): number {
    const lines = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
    return Number(lines.trim().split(/\s+/)[2]);
  }
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

  it('listens with a reconnect storm’s backlog by default, or the one given', async () => {
    const storm = await startServer();
    expect(listenQueueOf(storm.port)).toBe(Math.min(4096, somaxconn));
    const small = await startServer({ backlog: 7 });
    expect(listenQueueOf(small.port)).toBe(7);
  });
});

describe('path on the broker’s own server', () => {
  it('serves only under the path: other upgrades get 404, other requests the 404 body', async () => {
    const broker = await startServer({ path: '/realtime/' });
    expect(broker.url).toBe(`ws://127.0.0.1:${broker.port}/realtime`);
    const alice = await signIn(broker.url, 'alice');
    expect((await subscribe(alice, 'lobby')).epoch).toBeTypeOf('string');

    const stray = new WebSocket(`ws://127.0.0.1:${broker.port}/elsewhere`);
    stray.on('error', () => {}); // terminate() below reports the refused handshake as one
    const refused = await new Promise<number>((resolve) =>
      stray.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(refused).toBe(404);
    stray.terminate();
    const outside = await fetch(`http://127.0.0.1:${broker.port}/v1/history?room=lobby`, {
      headers: { 'x-statewire-uid': 'alice' },
    });
    expect(outside.status).toBe(404);
    const inside = await fetch(`${broker.httpUrl}/v1/history?room=lobby`, {
      headers: { 'x-statewire-uid': 'alice' },
    });
    expect(inside.status).toBe(200);
    await alice.close();
  });
});

describe('handleRequest / handleUpgrade for frameworks (noServer)', () => {
  let broker: Server | undefined;

  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('answers under its path and hands everything else on', async () => {
    broker = createServer({ noServer: true, path: '/realtime', onError: () => {} });
    await broker.start();
    const handle = broker;
    // What an Express app does with app.use(handler) before its own routes.
    const app = appServer();
    app.on('request', (req, res) => handle.handleRequest(req, res, () => appRoutes(req, res)));
    app.removeListener('request', appRoutes);
    app.on('upgrade', (req, socket, head) => {
      if (!handle.handleUpgrade(req, socket, head)) socket.destroy();
    });
    const port = await listen(app);
    expect(() => handle.url).toThrow(/noServer/);

    const url = `ws://127.0.0.1:${port}/realtime`;
    const alice = await signIn(url, 'alice');
    await subscribe(alice, 'lobby');
    const client = createClient({ url, uid: 'bob' });
    await client.publish('lobby', 'chat', 'hello');
    expect((await alice.next('msg')).content).toBe('hello');
    expect(await text(`http://127.0.0.1:${port}/health`)).toEqual({ status: 200, body: 'app ok' });
    // Without `next` a request outside the path gets the broker's 404.
    const res = await fetch(`http://127.0.0.1:${port}/realtime-not/v1/history`);
    expect(res.status).toBe(404);
    await alice.close();
    await client.disconnect();
  });

  it('takes an Express-mounted request by its originalUrl', async () => {
    broker = createServer({ noServer: true, path: '/realtime', onError: () => {} });
    await broker.start();
    const handle = broker;
    const app = appServer();
    app.removeListener('request', appRoutes);
    app.on('request', (req: IncomingMessage & { originalUrl?: string }, res) => {
      // app.use('/realtime', handler): Express strips the mount path from req.url.
      req.originalUrl = req.url;
      req.url = req.url?.replace(/^\/realtime/, '') || '/';
      handle.handleRequest(req, res);
    });
    const port = await listen(app);
    const res = await fetch(`http://127.0.0.1:${port}/realtime/v1/history?room=lobby`, {
      headers: { 'x-statewire-uid': 'alice' },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).messages).toEqual([]);
  });
});
