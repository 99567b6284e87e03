import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { StatewireError } from '../../src/errors/StatewireError.js';
import type { ServerAuth } from '../../src/server/index.js';
import {
  closeServers,
  connect,
  roundTrip,
  signIn,
  simulatedTime,
  startServer,
  TestClient,
} from './helpers.js';

afterEach(closeServers);

const KEY = 'per-user-secret';
const sign = (challenge: string) => createHmac('sha256', KEY).update(challenge).digest('hex');

const challengeAuth: ServerAuth = {
  challenge: (uid) => `login:${uid}`,
  verify: (_uid, signature, challenge) => signature === sign(challenge),
};

/**
 * Tokens are "ok:<uid>:<ttlMs>" (ttl relative to verification), "expired:<uid>" or junk;
 * `now` is the time the tokens are issued against (the server's, when it is simulated).
 */
function tokenAuthAt(now: () => number): ServerAuth {
  return {
    verifyToken(token) {
      const [kind, uid, ttl] = token.split(':');
      if (kind === 'ok') return { uid, expiresAt: ttl ? now() + Number(ttl) : undefined };
      if (kind === 'expired') return { uid, expiresAt: now() - 1 };
      if (kind === 'throws-expired') throw new StatewireError('TOKEN_EXPIRED');
      if (kind === 'throws') throw new Error('verifier broke');
      return null;
    },
  };
}

const tokenAuth = tokenAuthAt(Date.now);

async function refused(client: TestClient, code: string) {
  expect(await client.next('error')).toMatchObject({ code });
  expect(await client.closed).toEqual({ code: 1008, reason: code });
}

describe('no auth configured', () => {
  it('accepts the stated uid or assigns one', async () => {
    const server = await startServer({ heartbeatMs: 1234 });
    const stated = await connect(server.url, { uid: 'alice' });
    expect(await stated.next('welcome')).toEqual({
      type: 'welcome',
      v: 1,
      uid: 'alice',
      session: expect.any(String),
      heartbeatMs: 1234,
      maxPayload: 1024 * 1024,
    });
    const anonymous = await connect(server.url);
    const welcome = await anonymous.next('welcome');
    expect(welcome.uid).toEqual(expect.any(String));
    expect(welcome.uid.length).toBeGreaterThan(5);
    expect(welcome.session).not.toBe((await stated.log[0]).session);
  });

  it('closes 1002 on an unsupported protocol version', async () => {
    const server = await startServer();
    const client = await connect(server.url, { v: 2 });
    expect(await client.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await client.closed).code).toBe(1002);
  });

  it('closes a connection that never says hello', async () => {
    const { clock, now } = simulatedTime();
    const server = await startServer({ handshakeTimeoutMs: 5000, clock, now });
    const client = new TestClient(server.url);
    await client.opened;
    clock.increment(5000);
    expect(await client.closed).toEqual({ code: 1008, reason: 'HANDSHAKE_TIMEOUT' });
  });

  it('authorize can refuse the connection itself', async () => {
    const server = await startServer({
      authorize: (uid, action) => !(action === 'connect' && uid === 'mallory'),
    });
    await refused(await connect(server.url, { uid: 'mallory' }), 'FORBIDDEN');
    await signIn(server.url, 'alice');
  });
});

describe('challenge/response', () => {
  it('signs in with a valid signature over a challenge carrying a fresh nonce', async () => {
    const server = await startServer({ auth: challengeAuth });
    const client = await connect(server.url, { uid: 'alice' });
    const { challenge } = await client.next('challenge');
    expect(challenge).toMatch(/^login:alice\..{10,}$/);
    client.send({ type: 'auth', signature: sign(challenge) });
    expect(await client.next('welcome')).toMatchObject({ uid: 'alice' });

    const second = await connect(server.url, { uid: 'alice' });
    expect((await second.next('challenge')).challenge).not.toBe(challenge);
  });

  it('refuses a wrong signature with UNAUTHORIZED and 1008', async () => {
    const server = await startServer({ auth: challengeAuth });
    const client = await connect(server.url, { uid: 'alice' });
    await client.next('challenge');
    client.send({ type: 'auth', signature: 'forged' });
    await refused(client, 'UNAUTHORIZED');
  });

  it('refuses a replayed signature: the new challenge has a new nonce', async () => {
    const server = await startServer({ auth: challengeAuth });
    const first = await connect(server.url, { uid: 'alice' });
    const { challenge } = await first.next('challenge');
    const captured = sign(challenge);
    first.send({ type: 'auth', signature: captured });
    await first.next('welcome');

    const attacker = await connect(server.url, { uid: 'alice' });
    await attacker.next('challenge');
    attacker.send({ type: 'auth', signature: captured });
    await refused(attacker, 'UNAUTHORIZED');
  });

  it('needs a uid in hello', async () => {
    const server = await startServer({ auth: challengeAuth });
    await refused(await connect(server.url), 'UNAUTHORIZED');
  });

  it('refuses any frame other than auth while the challenge is pending', async () => {
    const server = await startServer({ auth: challengeAuth });
    const client = await connect(server.url, { uid: 'alice' });
    await client.next('challenge');
    client.send({ type: 'ping', id: 1 });
    expect(await client.next('error')).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'frame before auth',
    });
    expect((await client.closed).code).toBe(1008);
  });
});

describe('token auth', () => {
  it('signs in with a valid token; uid and expiresAt come from the verifier', async () => {
    const server = await startServer({ auth: tokenAuth });
    const client = await connect(server.url, { token: 'ok:alice:60000', uid: 'ignored' });
    const welcome = await client.next('welcome');
    expect(welcome.uid).toBe('alice');
    expect(welcome.expiresAt).toBeGreaterThan(Date.now());
  });

  it('answers a bad token with UNAUTHORIZED and an expired one with TOKEN_EXPIRED', async () => {
    const server = await startServer({ auth: tokenAuth });
    await refused(await connect(server.url, { token: 'junk' }), 'UNAUTHORIZED');
    await refused(await connect(server.url, { token: 'throws' }), 'UNAUTHORIZED');
    await refused(await connect(server.url, { token: 'expired:alice' }), 'TOKEN_EXPIRED');
    await refused(await connect(server.url, { token: 'throws-expired:alice' }), 'TOKEN_EXPIRED');
  });

  it('requires a token when token auth is the only mode', async () => {
    const server = await startServer({ auth: tokenAuth });
    await refused(await connect(server.url, { uid: 'alice' }), 'UNAUTHORIZED');
  });

  it('with both modes: token when given, challenge otherwise', async () => {
    const server = await startServer({ auth: { ...challengeAuth, ...tokenAuth } });
    const byToken = await connect(server.url, { token: 'ok:bob' });
    expect((await byToken.next('welcome')).uid).toBe('bob');
    const byChallenge = await connect(server.url, { uid: 'carol' });
    const { challenge } = await byChallenge.next('challenge');
    byChallenge.send({ type: 'auth', signature: sign(challenge) });
    expect((await byChallenge.next('welcome')).uid).toBe('carol');
  });

  it('expiry mid-session: TOKEN_EXPIRED with graceMs, refresh in place, then close after grace', async () => {
    const { clock, now } = simulatedTime();
    const server = await startServer({ auth: tokenAuthAt(now), tokenGraceMs: 300, clock, now });
    const client = await connect(server.url, { token: 'ok:alice:60' });
    expect((await client.next('welcome')).expiresAt).toBe(now() + 60);

    clock.increment(60);
    expect(await client.next('error')).toMatchObject({ code: 'TOKEN_EXPIRED', graceMs: 300 });
    const blocked = await client.request({ type: 'presence', room: 'lobby' });
    expect(blocked.error.code).toBe('TOKEN_EXPIRED');
    await roundTrip(client);

    // Refreshed with a lifetime longer than the grace: the first grace period passes without
    // a close, which proves its timer was cancelled.
    const refreshed = await client.call({ type: 'token', token: 'ok:alice:500' });
    expect(refreshed.expiresAt).toBe(now() + 500);
    clock.increment(300);
    expect((await client.call({ type: 'presence', room: 'lobby' })).members).toEqual([]);
    expect(client.pending('error')).toEqual([]);

    clock.increment(200);
    expect(await client.next('error')).toMatchObject({ code: 'TOKEN_EXPIRED' });
    clock.increment(299);
    await roundTrip(client);
    expect(client.isOpen).toBe(true);

    clock.increment(1);
    expect(await client.closed).toEqual({ code: 1008, reason: 'TOKEN_EXPIRED' });
  });

  it('refuses a refresh with a bad, expired or foreign token, keeping the session', async () => {
    const server = await startServer({ auth: tokenAuth });
    const client = await connect(server.url, { token: 'ok:alice' });
    await client.next('welcome');
    expect((await client.request({ type: 'token', token: 'junk' })).error.code).toBe(
      'UNAUTHORIZED',
    );
    expect((await client.request({ type: 'token', token: 'expired:alice' })).error.code).toBe(
      'TOKEN_EXPIRED',
    );
    expect((await client.request({ type: 'token', token: 'ok:bob' })).error.code).toBe(
      'UNAUTHORIZED',
    );
    expect(await client.call({ type: 'token', token: 'ok:alice' })).toEqual({});
    expect(client.isOpen).toBe(true);
  });

  it('token refresh without token auth is a BAD_REQUEST', async () => {
    const server = await startServer();
    const client = await signIn(server.url, 'alice');
    expect((await client.request({ type: 'token', token: 'x' })).error.code).toBe('BAD_REQUEST');
  });
});
