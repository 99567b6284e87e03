import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, memoryEngine } from '../../src/server/index.js';
import { closeServers, signIn, startServer, subscribe, TestClient } from './helpers.js';

afterEach(closeServers);

describe('server lifecycle', () => {
  it('listens on a free port and exposes ws and http urls', async () => {
    const server = await startServer();
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`);
    expect(server.httpUrl).toBe(`http://127.0.0.1:${server.port}`);
    const client = await signIn(server.url, 'alice');
    expect(server.connections).toBe(1);
    await client.close();
  });

  it('close sends bye then closes 1001, and a restart serves again on the same port', async () => {
    const server = await startServer();
    const port = server.port;
    const client = await signIn(server.url, 'alice');
    await server.close();
    expect(await client.next('bye')).toMatchObject({ reason: expect.any(String) });
    expect(await client.closed).toMatchObject({ code: 1001 });
    expect(server.connections).toBe(0);

    await server.start();
    expect(server.port).toBe(port);
    const again = await signIn(server.url, 'alice');
    again.send({ type: 'ping', id: 7 });
    expect(await again.next('pong')).toEqual({ type: 'pong', id: 7 });
  });

  it('start and close are idempotent', async () => {
    const server = createServer();
    await Promise.all([server.start(), server.start()]);
    await Promise.all([server.close(), server.close()]);
    await server.close();
  });

  it('keeps history and epoch across a restart (same engine), new engine = new epoch', async () => {
    const engine = memoryEngine();
    const server = await startServer({ engine });
    const before = await server.publish('news', 'e', 1);
    await server.close();
    await server.start();
    const client = await signIn(server.url, 'alice');
    const page = await client.call({ type: 'hist', room: 'news' });
    expect(page.epoch).toBe(before.epoch);
    expect(page.messages.map((m: { content: number }) => m.content)).toEqual([1]);

    const fresh = await startServer();
    const other = await fresh.publish('news', 'e', 1);
    expect(other.epoch).not.toBe(before.epoch);
  });

  it('answers plain HTTP with 404 by default and serves plugged-in routes', async () => {
    const server = await startServer();
    const missing = await fetch(`${server.httpUrl}/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: expect.any(String) },
    });
    server.http.use((req, res) => {
      if (req.url !== '/hello') return false;
      res.end('hi');
      return true;
    });
    expect(await (await fetch(`${server.httpUrl}/hello`)).text()).toBe('hi');
  });

  it('refuses an upgrade from an origin that is not allowed with 403', async () => {
    const server = await startServer({ allowedOrigins: ['https://good.example'] });
    const refused = new WebSocket(server.url, { origin: 'https://evil.example' });
    const status = await new Promise<number | undefined>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      refused.on('error', () => resolve(undefined));
    });
    expect(status).toBe(403);
    const good = new TestClient(server.url, { origin: 'https://good.example' });
    await good.opened;
    const noOrigin = await signIn(server.url, 'node-client');
    expect(noOrigin.isOpen).toBe(true);
  });

  it('a closed server leaves rooms of its clients (presence)', async () => {
    const engine = memoryEngine();
    const server = await startServer({ engine });
    const client = await signIn(server.url, 'alice');
    await subscribe(client, 'lobby');
    expect(await engine.members('lobby')).toEqual(['alice']);
    await server.close();
    expect(await engine.members('lobby')).toEqual([]);
    expect(await engine.members('alice')).toEqual([]);
  });
});
