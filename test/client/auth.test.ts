import { describe, expect, it } from 'vitest';
import { type InspectionEvent, waitFor } from 'xstate';
import { UnauthorizedError } from '../../src/index.js';
import { createTestClient, type FakeServer, nextEvent } from '../../src/testing/index.js';

/** The fake server answers every `req` with TOKEN_EXPIRED, whatever the token. */
function answerEveryRequestExpired(server: FakeServer): void {
  server.intercept('req', (message, connection) => {
    connection.send({
      type: 'res',
      id: message.id,
      error: { code: 'TOKEN_EXPIRED', message: 'expired' },
    });
    return true;
  });
}

describe('auth (SimulatedClock, in-memory transport)', () => {
  it('a static token goes in hello', async () => {
    const { client, server } = createTestClient({ token: 'static-1', uid: 'ignored-with-token' });
    await client.connect();
    expect(server.last!.received[0]).toEqual({
      type: 'hello',
      v: 1,
      features: ['acks', 'msgs'],
      token: 'static-1',
    });
  });

  it('a token function is called on every connect and reconnect', async () => {
    const { client, server, clock } = createTestClient({
      token: async () => `t${++calls}`,
      reconnect: { minDelayMs: 10, maxDelayMs: 10 },
    });
    let calls = 0;
    await client.connect();
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    clock.increment(10);
    await nextEvent(client, 'signedIn');
    expect(server.connections.map((c) => (c.received[0] as { token?: string }).token)).toEqual([
      't1',
      't2',
    ]);
  });

  it('refreshes refreshLeadMs before expiresAt and sends the token on the live socket', async () => {
    const { client, server, clock } = createTestClient({ refreshLeadMs: 1000 });
    let n = 0;
    client.setToken(async () => ({ token: `t${++n}`, expiresAt: clock.now() + 10_000 }));
    await client.connect();
    const connection = server.last!;
    clock.increment(8999);
    expect(n).toBe(1);
    const refreshed = new Promise((resolve) => client.actors.auth.on('refreshed', resolve));
    clock.increment(1);
    expect(await connection.next('token')).toMatchObject({ token: 't2' });
    await refreshed;
    expect(server.connections).toHaveLength(1);
    expect(client.state).toBe('connected');
    // And again before the new expiry.
    clock.increment(9000);
    expect(await connection.next('token')).toMatchObject({ token: 't3' });
  });

  it('TOKEN_EXPIRED on a call: one refresh, then the call is retried once', async () => {
    let expired = true;
    const { client, server } = createTestClient({ token: async () => `t${++n}` });
    let n = 0;
    server.on('echo', (content) => content);
    server.intercept('req', (message, connection) => {
      if (!expired) return false;
      connection.send({
        type: 'res',
        id: message.id,
        error: { code: 'TOKEN_EXPIRED', message: 'expired' },
      });
      return true;
    });
    server.intercept('token', () => {
      expired = false;
      return false;
    });
    await client.connect();
    expect(await client.request('echo', 'hi')).toBe('hi');
    const connection = server.last!;
    expect(connection.received.filter((m) => m.type === 'req')).toHaveLength(2);
    expect(await connection.next('token')).toMatchObject({ token: 't2' });
    expect(server.connections).toHaveLength(1);
  });

  it('a second TOKEN_EXPIRED after the retry rejects the call', async () => {
    const { client, server } = createTestClient({ token: async () => 'always-expired' });
    answerEveryRequestExpired(server);
    await client.connect();
    await expect(client.request('x', null)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect(server.last!.received.filter((m) => m.type === 'req')).toHaveLength(2);
  });

  it('a static token cannot be refreshed: TOKEN_EXPIRED rejects at once', async () => {
    const { client, server } = createTestClient({ token: 'static' });
    answerEveryRequestExpired(server);
    await client.connect();
    const error = nextEvent(client, 'error');
    await expect(client.request('x', null)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect(await error).toMatchObject({ code: 'TOKEN_EXPIRED', recoverable: true });
  });

  it('the server announcing expiry (error TOKEN_EXPIRED) triggers a refresh in place', async () => {
    const { client, server } = createTestClient({ token: async () => `t${++n}` });
    let n = 0;
    await client.connect();
    server.last!.send({ type: 'error', code: 'TOKEN_EXPIRED', message: 'expired', graceMs: 5000 });
    expect(await server.last!.next('token')).toMatchObject({ token: 't2' });
  });

  it('a token function throwing UnauthorizedError closes the session', async () => {
    let revoked = false;
    const { client } = createTestClient({
      token: async () => {
        if (revoked) throw new UnauthorizedError('revoked');
        return 'ok';
      },
    });
    await client.connect();
    revoked = true;
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    const closed = nextEvent(client, 'state', ({ to }) => to === 'closed');
    client.actors.auth.send({ type: 'EXPIRED' });
    await closed;
    // One refusal, one error event.
    expect(errors).toEqual([{ code: 'UNAUTHORIZED', message: 'revoked', recoverable: false }]);
    await expect(client.connect()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('a token function failing for another reason is retried with backoff', async () => {
    let failures = 1;
    const { client, server, clock } = createTestClient({
      waitOnFirstConnect: true,
      reconnect: { minDelayMs: 10, maxDelayMs: 10 },
      token: async () => {
        if (failures-- > 0) throw new Error('token service down');
        return 'ok';
      },
    });
    const connected = client.connect();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    clock.increment(10);
    await connected;
    expect(server.connections).toHaveLength(2);
  });

  it('setToken replaces the credential in place while connected', async () => {
    const { client, server } = createTestClient({ token: 'first' });
    await client.connect();
    client.setToken('second');
    expect(await server.last!.next('token')).toMatchObject({ token: 'second' });
    await waitFor(client.actors.auth, (s) => s.matches({ session: 'active' }));
    expect(server.connections).toHaveLength(1);
  });

  it('setToken while offline is used by the next hello', async () => {
    const { client, server, clock } = createTestClient({ token: 'first' });
    await client.connect();
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    client.setToken('second');
    clock.increment(500);
    await nextEvent(client, 'signedIn');
    expect(server.last!.received[0]).toEqual({
      type: 'hello',
      v: 1,
      features: ['acks', 'msgs'],
      token: 'second',
    });
  });

  it('setToken while the token function runs: the new source signs in, the late result is dropped', async () => {
    let release!: (token: string) => void;
    const { client, server } = createTestClient({
      token: () => new Promise<string>((resolve) => (release = resolve)),
    });
    const connected = client.connect();
    await waitFor(client.actors.auth, (s) => s.matches('fetching'));
    client.setToken(async () => 'second');
    release('first');
    await connected;
    expect(server.last!.received[0]).toEqual({
      type: 'hello',
      v: 1,
      features: ['acks', 'msgs'],
      token: 'second',
    });
    expect(client.state).toBe('connected');
  });

  it('challenge/response: onChallenge signs every (re)connect with a fresh nonce', async () => {
    const signed: string[] = [];
    const { client, server, clock } = createTestClient({
      uid: 'erin',
      onChallenge: async (challenge) => {
        signed.push(challenge);
        return `sig(${challenge})`;
      },
      server: {
        challenge: true,
        authenticate: (_hello, signature) =>
          signature?.startsWith('sig(nonce-') ? {} : 'UNAUTHORIZED',
      },
    });
    await client.connect();
    server.dropAll();
    await nextEvent(client, 'state', ({ to }) => to === 'reconnecting');
    clock.increment(500);
    await nextEvent(client, 'signedIn');
    expect(signed).toHaveLength(2);
    expect(signed[0]).not.toBe(signed[1]);
    expect(server.last!.received.slice(0, 2)).toEqual([
      { type: 'hello', v: 1, features: ['acks', 'msgs'], uid: 'erin' },
      { type: 'auth', signature: `sig(${signed[1]})` },
    ]);
  });

  it('a challenge without onChallenge fails the connect as UNAUTHORIZED', async () => {
    const { client } = createTestClient({ uid: 'x', server: { challenge: true } });
    await expect(client.connect()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('tokens never appear in inspection events, contexts or snapshots', async () => {
    const seen: string[] = [];
    const inspect = (event: InspectionEvent) => {
      const e = event as InspectionEvent & {
        event?: unknown;
        snapshot?: { context?: unknown };
        action?: unknown;
      };
      seen.push(
        JSON.stringify([
          event.type,
          (event.actorRef as { id?: string }).id,
          e.event,
          e.snapshot?.context,
          e.action,
        ]),
      );
    };
    const { client, server, clock } = createTestClient({
      inspect,
      refreshLeadMs: 100,
      token: async () => ({ token: `SECRET-${++n}`, expiresAt: clock.now() + 1000 }),
    });
    let n = 0;
    const sub = client.subscribe('room');
    await sub.ready();
    clock.increment(900);
    await server.last!.next('token');
    client.setToken('SECRET-static');
    await server.last!.next('token');
    await client.publish('room', 'e', 'payload');
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.some((s) => s.includes('@xstate.snapshot'))).toBe(true);
    expect(seen.join('\n')).not.toContain('SECRET');
    expect(JSON.stringify(client.snapshot())).not.toContain('SECRET');
    // The subscription actors (their id is the room) are inspected too.
    expect(seen.some((s) => s.startsWith('["@xstate.snapshot","room",'))).toBe(true);
  });
});
