import { describe, expect, it, vi } from 'vitest';
import { waitFor } from 'xstate';
import type { Client, ClientEvents } from '../../src/index.js';
import { createTestClient, nextEvent } from '../../src/testing/index.js';

/** Records every client event as `name` or `name:detail`, in order. */
function recordEvents(client: Client) {
  const log: string[] = [];
  const names: Array<keyof ClientEvents> = [
    'state',
    'connecting',
    'connected',
    'signedIn',
    'disconnected',
    'error',
  ];
  for (const name of names) {
    client.on(name, (payload: any) => {
      if (name === 'state') log.push(`state:${payload.from}>${payload.to}`);
      else if (name === 'disconnected') log.push(`disconnected:${payload.willReconnect}`);
      else if (name === 'error') log.push(`error:${payload.code}:${payload.recoverable}`);
      else log.push(name);
    });
  }
  return log;
}

describe('client lifecycle (SimulatedClock, in-memory transport)', () => {
  it('is lazy: nothing opens until connect, then connecting → connected → signedIn', async () => {
    const { client, server } = createTestClient({ uid: 'alice' });
    const log = recordEvents(client);
    expect(client.state).toBe('idle');
    expect(server.connections).toHaveLength(0);
    await client.connect();
    expect(client.isConnected).toBe(true);
    expect(client.uid).toBe('alice');
    expect(server.last?.received[0]).toEqual({
      type: 'hello',
      v: 1,
      features: ['acks', 'msgs'],
      uid: 'alice',
    });
    expect(log).toEqual([
      'state:idle>connecting',
      'connecting',
      'state:connecting>authenticating',
      'connected',
      'state:authenticating>connected',
      'signedIn',
    ]);
    await client.connect();
    expect(log).toHaveLength(6);
  });

  it('the first subscribe opens the socket', async () => {
    const { client, server } = createTestClient();
    const opened = server.nextConnection();
    const sub = client.subscribe('news');
    await opened;
    await sub.ready();
    expect(client.state).toBe('connected');
  });

  it('first connect to an unreachable server rejects and does not retry', async () => {
    const { client, server, clock } = createTestClient();
    server.down = true;
    const log = recordEvents(client);
    await expect(client.connect()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(client.state).toBe('closed');
    clock.increment(60_000);
    server.down = false;
    expect(client.state).toBe('closed');
    expect(server.connections).toHaveLength(0);
    expect(log).toEqual([
      'state:idle>connecting',
      'connecting',
      'error:UNAVAILABLE:false',
      'state:connecting>closed',
      'disconnected:false',
    ]);
    // A later connect() works.
    await client.connect();
    expect(client.isConnected).toBe(true);
  });

  it('waitOnFirstConnect keeps retrying until the server is there', async () => {
    const { client, server, clock } = createTestClient({
      waitOnFirstConnect: true,
      reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
    });
    server.down = true;
    const connected = client.connect();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    clock.increment(100);
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    server.down = false;
    const opened = server.nextConnection();
    clock.increment(200);
    await opened;
    await connected;
    expect(client.isConnected).toBe(true);
  });

  it('reconnects after a loss with exponential backoff and full jitter', async () => {
    const { client, server, clock } = createTestClient({
      reconnect: { minDelayMs: 500, maxDelayMs: 20_000 },
      random: () => 0.5,
    });
    await client.connect();
    const log = recordEvents(client);
    server.down = true;
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    // attempt 0: 0.5 × 500
    clock.increment(249);
    expect(client.state).toBe('reconnecting');
    clock.increment(1);
    expect(client.state).toBe('connecting');
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    // attempt 1: 0.5 × 1000
    clock.increment(499);
    expect(client.state).toBe('reconnecting');
    server.down = false;
    const back = nextEvent(client, 'signedIn');
    clock.increment(1);
    await back;
    expect(log).toEqual([
      'state:connected>reconnecting',
      'disconnected:true',
      'state:reconnecting>connecting',
      'connecting',
      'state:connecting>reconnecting',
      'state:reconnecting>connecting',
      'connecting',
      'state:connecting>authenticating',
      'connected',
      'state:authenticating>connected',
      'signedIn',
    ]);
    // Success resets the backoff: the next loss waits 250 ms again.
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    const again = server.nextConnection();
    clock.increment(250);
    await again;
  });

  it('gives up after maxAttempts: error (not recoverable), closed, pending publishes rejected', async () => {
    const { client, server, clock } = createTestClient({
      reconnect: { minDelayMs: 100, maxDelayMs: 100, maxAttempts: 2 },
    });
    await client.connect();
    server.down = true;
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    const buffered = client.publish('room', 'e', 1);
    const log = recordEvents(client);
    clock.increment(100);
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    clock.increment(100);
    await nextEvent(client, 'state', ({ to }) => to === 'closed');
    await expect(buffered).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(log).toEqual([
      'state:reconnecting>connecting',
      'connecting',
      'state:connecting>reconnecting',
      'state:reconnecting>connecting',
      'connecting',
      'error:UNAVAILABLE:false',
      'state:connecting>closed',
      'disconnected:false',
    ]);
    expect(client.snapshot().connection.context).toMatchObject({
      failure: { message: expect.stringMatching(/gave up after 2 reconnect attempts/) },
    });
  });

  it('reconnect: false closes on the first loss', async () => {
    const { client, server } = createTestClient({ reconnect: false });
    await client.connect();
    const disconnected = nextEvent(client, 'disconnected');
    server.dropAll(1006, 'gone');
    expect(await disconnected).toEqual({ reason: 'gone', code: 1006, willReconnect: false });
    expect(client.state).toBe('closed');
  });

  it('a missed pong is a lost connection (half-open detection)', async () => {
    const { client, server, clock } = createTestClient({
      heartbeat: { intervalMs: 1000, timeoutMs: 300 },
    });
    await client.connect();
    clock.increment(1000);
    await server.last!.next('ping');
    await waitFor(client.actors.connection, (s) => s.matches({ online: { connected: 'waiting' } }));
    server.intercept('ping', () => true);
    clock.increment(1000);
    await server.last!.next('ping');
    const lost = nextEvent(client, 'disconnected');
    clock.increment(300);
    expect(await lost).toEqual({ reason: 'heartbeat timeout', willReconnect: true });
  });

  it('server heartbeat interval from welcome drives pings by default', async () => {
    const { client, server, clock } = createTestClient({ server: { heartbeatMs: 5000 } });
    await client.connect();
    clock.increment(5000);
    expect((await server.last!.next('ping')).id).toBe('hb1');
  });

  it('UNAUTHORIZED at the handshake: connect rejects, never retried', async () => {
    const { client, server, clock } = createTestClient({
      token: 'bad',
      server: { authenticate: (hello) => (hello.token === 'good' ? {} : 'UNAUTHORIZED') },
    });
    const log = recordEvents(client);
    await expect(client.connect()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      recoverable: false,
    });
    clock.increment(120_000);
    expect(server.connections).toHaveLength(1);
    expect(log).toContain('error:UNAUTHORIZED:false');
  });

  it('UNAUTHORIZED on a reconnect stops retrying too', async () => {
    let allowed = true;
    const { client, server, clock } = createTestClient({
      token: 't',
      server: { authenticate: () => (allowed ? {} : 'UNAUTHORIZED') },
    });
    await client.connect();
    allowed = false;
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    clock.increment(500);
    await nextEvent(client, 'state', ({ to }) => to === 'closed');
    expect(client.snapshot().connection.context).toMatchObject({
      failure: { code: 'UNAUTHORIZED' },
    });
    clock.increment(120_000);
    expect(server.connections).toHaveLength(2);
  });

  it('bye then close 1001: reconnects, reason from bye', async () => {
    const { client, server } = createTestClient();
    await client.connect();
    const disconnected = nextEvent(client, 'disconnected');
    server.last!.send({ type: 'bye', reason: 'server shutting down' });
    server.last!.close(1001, '');
    expect(await disconnected).toEqual({
      reason: 'server shutting down',
      code: 1001,
      willReconnect: true,
    });
  });

  it('an unsolicited server error is reported as recoverable', async () => {
    const { client, server } = createTestClient();
    await client.connect();
    const error = nextEvent(client, 'error');
    server.last!.send({ type: 'error', code: 'RATE_LIMITED', message: 'slow down' });
    expect(await error).toEqual({ code: 'RATE_LIMITED', message: 'slow down', recoverable: true });
  });

  it('disconnect(): rejects pending calls, closes subscriptions, emits disconnected once; connect() works again', async () => {
    const { client, server } = createTestClient();
    server.intercept('req', () => true);
    await client.connect();
    const sub = client.subscribe('room');
    await sub.ready();
    const pending = client.request('slow', null);
    await server.last!.next('req');
    const waiting = client.subscribe('other');
    const log = recordEvents(client);
    await client.disconnect();
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(waiting.ready()).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(sub.state).toBe('unsubscribed');
    expect(client.actors.subscriptions.size).toBe(0);
    expect(log).toEqual(['state:connected>closed', 'disconnected:false']);
    await client.disconnect();
    expect(log).toHaveLength(2);
    await client.connect();
    expect(client.isConnected).toBe(true);
  });

  it('snapshot() is plain JSON of every actor', async () => {
    const { client } = createTestClient({ token: 'secret-token-123' });
    await client.connect();
    client.subscribe('room');
    const snapshot = client.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(snapshot.state).toBe('connected');
    expect(snapshot.connection.value).toEqual({ online: { connected: 'waiting' } });
    expect(snapshot.auth.state).toBe('session.active');
    expect(Object.keys(snapshot.subscriptions)).toEqual(['room']);
    expect(JSON.stringify(snapshot)).not.toContain('secret-token-123');
    expect(client.actors.connection.getSnapshot().status).toBe('active');
  });

  it('a throwing event handler is logged; the other handlers still run, nothing is rethrown', async () => {
    const { client } = createTestClient();
    const failure = new Error('handler bug');
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      client.on('signedIn', () => {
        throw failure;
      });
      const next = nextEvent(client, 'signedIn');
      await client.connect();
      await next;
      expect(logged).toHaveBeenCalledWith(expect.any(String), failure);
    } finally {
      logged.mockRestore();
    }
  });
});
