import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { StatewireError } from '../../src/errors/StatewireError.js';
import { jwtAuth } from '../../src/server/index.js';
import { closeServers, signIn, startServer, subscribe } from './helpers.js';
import { call, errorOf } from './httpHelpers.js';

afterEach(closeServers);

describe('POST /v1/publish', () => {
  it('reaches a live subscriber, from the calling uid; a repeated mid is acked once', async () => {
    const server = await startServer();
    const bob = await signIn(server.url, 'bob');
    await subscribe(bob, 'lobby');
    const body = { room: 'lobby', event: 'chat', content: { text: 'hi' }, mid: 'm-1' };
    const first = await call(server, '/v1/publish', { uid: 'alice', body });
    expect(first).toMatchObject({
      status: 200,
      body: { offset: 1, epoch: expect.any(String), id: 'm-1' },
    });
    expect(await bob.next('msg')).toEqual({
      type: 'msg',
      room: 'lobby',
      event: 'chat',
      content: { text: 'hi' },
      offset: 1,
      epoch: first.body.epoch,
      id: 'm-1',
      from: 'alice',
    });
    const again = await call(server, '/v1/publish', { uid: 'alice', body });
    expect(again.body).toEqual(first.body);
    const next = { room: 'lobby', event: 'chat', content: 2 };
    expect((await call(server, '/v1/publish', { uid: 'alice', body: next })).body.offset).toBe(2);
    expect(await bob.next('msg')).toMatchObject({ offset: 2, content: 2 });
  });

  it('needs no membership, but refuses another uid room and what authorize refuses', async () => {
    const server = await startServer({
      authorize: (_uid, action, target) => !(action === 'publish' && target === 'closed'),
    });
    const bob = await signIn(server.url, 'bob');
    const own = await call(server, '/v1/publish', {
      uid: 'alice',
      body: { room: 'alice', event: 'note', content: null },
    });
    expect(own.status).toBe(200);
    const foreign = await call(server, '/v1/publish', {
      uid: 'alice',
      body: { room: 'bob', event: 'dm', content: 'psst' },
    });
    expect(foreign).toMatchObject(errorOf(403, 'FORBIDDEN'));
    const refused = await call(server, '/v1/publish', {
      uid: 'alice',
      body: { room: 'closed', event: 'x', content: 1 },
    });
    expect(refused).toMatchObject(errorOf(403, 'FORBIDDEN'));
    // The owner can publish into its own room over HTTP while its socket is signed in.
    const self = await call(server, '/v1/publish', {
      uid: 'bob',
      body: { room: 'bob', event: 'self', content: 1 },
    });
    expect(self.status).toBe(200);
    expect(await bob.next('msg')).toMatchObject({ room: 'bob', event: 'self', from: 'bob' });
  });
});

describe('POST /v1/request', () => {
  it('answers with the handler reply, its context and its errors', async () => {
    const server = await startServer();
    server.on('add', (content, ctx) => {
      const { a, b } = content as { a: number; b: number };
      return { sum: a + b, uid: ctx.uid, room: ctx.room ?? null };
    });
    server.on('nothing', () => undefined);
    server.on('refuse', () => {
      throw new StatewireError('FORBIDDEN', 'not you');
    });
    const add = await call(server, '/v1/request', {
      uid: 'alice',
      body: { event: 'add', content: { a: 1, b: 2 }, room: 'math' },
    });
    expect(add).toMatchObject({
      status: 200,
      body: { data: { sum: 3, uid: 'alice', room: 'math' } },
    });
    const nothing = await call(server, '/v1/request', { body: { event: 'nothing', content: 0 } });
    expect(nothing).toMatchObject({ status: 200, body: {} });
    expect(
      await call(server, '/v1/request', { body: { event: 'refuse', content: 0 } }),
    ).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'not you' } } });
    expect(
      await call(server, '/v1/request', { body: { event: 'nope', content: 0 } }),
    ).toMatchObject(errorOf(404, 'NOT_FOUND'));
  });

  it('a reply that cannot be serialized is INTERNAL and the server keeps serving', async () => {
    const errors: unknown[] = [];
    const server = await startServer({ onError: (error) => errors.push(error) });
    server.on('big', () => ({ n: 1n }));
    server.on('ok', () => 'fine');
    expect(await call(server, '/v1/request', { body: { event: 'big', content: 0 } })).toMatchObject(
      errorOf(500, 'INTERNAL'),
    );
    expect(errors).toHaveLength(1);
    expect((await call(server, '/v1/request', { body: { event: 'ok', content: 0 } })).body).toEqual(
      { data: 'fine' },
    );
  });
});

describe('GET /v1/history and /v1/presence', () => {
  it('reads history pages like hist', async () => {
    const server = await startServer();
    for (const n of [1, 2, 3]) await server.publish('news', 'n', n);
    const all = await call(server, '/v1/history?room=news', { uid: 'alice' });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ offset: 3, complete: true });
    expect(all.body.messages.map((m: { content: number }) => m.content)).toEqual([1, 2, 3]);
    expect(all.body.messages[0]).toEqual({
      room: 'news',
      event: 'n',
      content: 1,
      offset: 1,
      epoch: all.body.epoch,
      id: expect.any(String),
    });
    const { epoch } = all.body;
    const since = await call(server, `/v1/history?room=news&epoch=${epoch}&offset=1&limit=1`);
    expect(since.body).toMatchObject({ epoch, offset: 3, complete: false });
    expect(since.body.messages.map((m: { offset: number }) => m.offset)).toEqual([2]);
    const otherEpoch = await call(server, '/v1/history?room=news&epoch=old&offset=1');
    expect(otherEpoch.body).toMatchObject({ complete: false, messages: [] });
  });

  it('refuses history of another uid room and bad parameters', async () => {
    const server = await startServer();
    await signIn(server.url, 'bob');
    expect(await call(server, '/v1/history?room=bob', { uid: 'alice' })).toMatchObject(
      errorOf(403, 'FORBIDDEN'),
    );
    expect((await call(server, '/v1/history?room=bob', { uid: 'bob' })).status).toBe(200);
    for (const query of ['', '?room=', '?room=a&epoch=e', '?room=a&offset=1', '?room=a&limit=x']) {
      expect(await call(server, `/v1/history${query}`)).toMatchObject(errorOf(400, 'BAD_REQUEST'));
    }
  });

  it('lists the members of a room', async () => {
    const server = await startServer({
      authorize: (_uid, action, target) => !(action === 'presence' && target === 'secret'),
    });
    const alice = await signIn(server.url, 'alice');
    const bob = await signIn(server.url, 'bob');
    await subscribe(alice, 'lobby');
    await subscribe(bob, 'lobby');
    const answer = await call(server, '/v1/presence?room=lobby', { uid: 'carol' });
    expect(answer.status).toBe(200);
    expect(answer.body.members.sort()).toEqual(['alice', 'bob']);
    expect(await call(server, '/v1/presence?room=bob')).toMatchObject({
      status: 200,
      body: { members: ['bob'] },
    });
    expect(await call(server, '/v1/presence?room=secret')).toMatchObject(errorOf(403, 'FORBIDDEN'));
    expect(await call(server, '/v1/presence')).toMatchObject(errorOf(400, 'BAD_REQUEST'));
  });
});

describe('HTTP bad input', () => {
  it('400 for malformed JSON, a non-object body, missing fields and a bad uid header', async () => {
    const server = await startServer();
    const cases: Array<[string, unknown]> = [
      ['/v1/publish', '{"room":'],
      ['/v1/publish', ''],
      ['/v1/publish', [{ room: 'a', event: 'e', content: 1 }]],
      ['/v1/publish', { room: 'a', content: 1 }],
      ['/v1/publish', { room: '', event: 'e', content: 1 }],
      ['/v1/publish', { room: 'a', event: 'e' }],
      ['/v1/request', { content: 1 }],
    ];
    for (const [path, body] of cases) {
      const answer = await call(server, path, { method: 'POST', body });
      expect({ path, body, answer }).toMatchObject({ answer: errorOf(400, 'BAD_REQUEST') });
    }
    const invalidUtf8 = await fetch(`${server.httpUrl}/v1/publish`, {
      method: 'POST',
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
    });
    expect(invalidUtf8.status).toBe(400);
    const longUid = await call(server, '/v1/publish', {
      uid: 'u'.repeat(1025),
      body: { room: 'a', event: 'e', content: 1 },
    });
    expect(longUid).toMatchObject(errorOf(400, 'BAD_REQUEST'));
  });

  it('a caller that vanishes halfway through its body leaves the server serving', async () => {
    const errors: unknown[] = [];
    const server = await startServer({ onError: (error) => errors.push(error) });
    const socket = connectTcp(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"room":',
    );
    socket.destroy();
    await once(socket, 'close');
    const ok = await call(server, '/v1/publish', { body: { room: 'a', event: 'e', content: 1 } });
    expect(ok.status).toBe(200);
    expect(errors).toEqual([]);
  });

  it('413 for a body over maxPayload, declared or streamed, without reading it all', async () => {
    const server = await startServer({ maxPayload: 1024 });
    const big = { room: 'a', event: 'e', content: 'x'.repeat(2000) };
    expect(await call(server, '/v1/publish', { body: big })).toMatchObject(
      errorOf(413, 'PAYLOAD_TOO_LARGE'),
    );
    // An endless body without a declared length: the answer comes once the limit is passed.
    const endless = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(16 * 1024).fill(0x20)),
    });
    const streamed = await call(server, '/v1/publish', { method: 'POST', body: endless });
    expect(streamed).toMatchObject(errorOf(413, 'PAYLOAD_TOO_LARGE'));
    expect(streamed.headers.get('connection')).toBe('close');
    const fits = { room: 'a', event: 'e', content: 'x'.repeat(500) };
    expect((await call(server, '/v1/publish', { body: fits })).status).toBe(200);
  });

  it('404 for an unknown endpoint, 405 for the wrong method; other paths stay with the router', async () => {
    const server = await startServer();
    expect(await call(server, '/v1/nope', { body: {} })).toMatchObject(errorOf(404, 'NOT_FOUND'));
    expect(await call(server, '/v1/constructor')).toMatchObject(errorOf(404, 'NOT_FOUND'));
    const wrong = await call(server, '/v1/publish');
    expect(wrong).toMatchObject(errorOf(405, 'BAD_REQUEST'));
    expect(wrong.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await call(server, '/v1/history?room=a', { method: 'POST', body: {} })).toMatchObject(
      errorOf(405, 'BAD_REQUEST'),
    );
    expect(await call(server, '/other')).toMatchObject(errorOf(404, 'NOT_FOUND'));
  });
});

describe('HTTP auth', () => {
  /** Tokens are "ok:<uid>", "expired:<uid>", or junk. */
  const auth = {
    verifyToken(token: string) {
      const [kind, uid] = token.split(':');
      if (kind === 'ok') return { uid, expiresAt: Date.now() + 60_000 };
      if (kind === 'expired') return { uid, expiresAt: Date.now() - 1 };
      return null;
    },
  };
  const publish = { room: 'lobby', event: 'e', content: 1 };

  it('takes the uid from the bearer token; none, bad and expired tokens get 401', async () => {
    const server = await startServer({ auth });
    const ok = await call(server, '/v1/publish', {
      token: 'ok:alice',
      uid: 'mallory',
      body: publish,
    });
    expect(ok.status).toBe(200);
    const page = await call(server, '/v1/history?room=lobby', { token: 'ok:alice' });
    expect(page.body.messages[0].from).toBe('alice');

    const none = await call(server, '/v1/publish', { uid: 'alice', body: publish });
    expect(none).toMatchObject(errorOf(401, 'UNAUTHORIZED'));
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await call(server, '/v1/publish', { token: 'junk', body: publish })).toMatchObject(
      errorOf(401, 'UNAUTHORIZED'),
    );
    expect(
      await call(server, '/v1/publish', { token: 'expired:alice', body: publish }),
    ).toMatchObject(errorOf(401, 'TOKEN_EXPIRED'));
    expect(
      await call(server, '/v1/publish', { headers: { authorization: 'Basic abc' }, body: publish }),
    ).toMatchObject(errorOf(401, 'UNAUTHORIZED'));
  });

  it('works with jwtAuth: an expired JWT is TOKEN_EXPIRED', async () => {
    const secret = 'a-very-long-shared-secret-for-hs256-tests';
    const server = await startServer({ auth: jwtAuth({ secret }) });
    const sign = (exp: number) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    const fresh = await call(server, '/v1/presence?room=alice', { token: await sign(now + 60) });
    expect(fresh).toMatchObject({ status: 200, body: { members: [] } });
    expect(
      await call(server, '/v1/presence?room=alice', { token: await sign(now - 10) }),
    ).toMatchObject(errorOf(401, 'TOKEN_EXPIRED'));
  });

  it('a server with only challenge/response auth answers HTTP calls with 401', async () => {
    const server = await startServer({
      auth: { challenge: (uid) => uid, verify: () => true },
    });
    expect(await call(server, '/v1/publish', { uid: 'alice', body: publish })).toMatchObject(
      errorOf(401, 'UNAUTHORIZED'),
    );
  });

  it("authorize(uid, 'connect') can refuse a caller", async () => {
    const server = await startServer({
      authorize: (uid, action) => !(action === 'connect' && uid === 'banned'),
    });
    expect(await call(server, '/v1/presence?room=a', { uid: 'banned' })).toMatchObject(
      errorOf(403, 'FORBIDDEN'),
    );
    expect((await call(server, '/v1/presence?room=a', { uid: 'fine' })).status).toBe(200);
  });
});

describe('HTTP rate limit', () => {
  it('429 once a caller is over the limit, counted per uid, anonymous callers per address', async () => {
    const server = await startServer({ rateLimit: { messagesPerSecond: 0.01, burst: 2 } });
    const presence = (uid?: string) => call(server, '/v1/presence?room=a', { uid });
    expect((await presence('alice')).status).toBe(200);
    expect((await presence('alice')).status).toBe(200);
    expect(await presence('alice')).toMatchObject(errorOf(429, 'RATE_LIMITED'));
    expect((await presence('bob')).status).toBe(200);
    expect((await presence()).status).toBe(200);
    expect((await presence()).status).toBe(200);
    expect(await presence()).toMatchObject(errorOf(429, 'RATE_LIMITED'));
  });
});

describe('HTTP origins and CORS', () => {
  const good = 'https://good.example';

  it('403 for a disallowed Origin; CORS headers and preflight for allowed ones', async () => {
    const server = await startServer({ allowedOrigins: [good] });
    const publish = { room: 'a', event: 'e', content: 1 };
    const evil = { origin: 'https://evil.example' };
    expect(await call(server, '/v1/publish', { headers: evil, body: publish })).toMatchObject(
      errorOf(403, 'FORBIDDEN'),
    );
    const refusedPreflight = await fetch(`${server.httpUrl}/v1/publish`, {
      method: 'OPTIONS',
      headers: { ...evil, 'access-control-request-method': 'POST' },
    });
    expect(refusedPreflight.status).toBe(403);
    expect(refusedPreflight.headers.get('access-control-allow-origin')).toBeNull();

    const allowed = await call(server, '/v1/publish', { headers: { origin: good }, body: publish });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(good);
    const preflight = await fetch(`${server.httpUrl}/v1/publish`, {
      method: 'OPTIONS',
      headers: {
        origin: good,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(good);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    // Errors carry the CORS headers too, so a browser can read them.
    const missing = await call(server, '/v1/publish', { headers: { origin: good }, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('access-control-allow-origin')).toBe(good);
    // Non-browser callers send no Origin and are not checked.
    expect((await call(server, '/v1/publish', { body: publish })).status).toBe(200);
  });
});
