import { describe, expect, it } from 'vitest';
import { httpBaseOf } from '../../src/client/http/transient.js';
import type { FetchFunction } from '../../src/index.js';
import { createTestClient, SimulatedClock } from '../../src/testing/index.js';

/*
 * Transient calls over HTTP (SPEC §6), deterministic: a scripted `fetch` answers each call when
 * the test says so, and a SimulatedClock drives every timeout and backoff.
 */

const HTTP = 'http://statewire.test';

interface FetchCall {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: any;
  signal: AbortSignal;
  respond(status: number, body?: unknown): void;
  /** A network error, as `fetch` reports one. */
  fail(): void;
}

/** A `fetch` whose calls wait for the test: `nth(i)` resolves once call i was made. */
function scriptedFetch() {
  const calls: FetchCall[] = [];
  const waiters: Array<{ index: number; resolve(call: FetchCall): void }> = [];
  const fetch: FetchFunction = (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal as AbortSignal;
      signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      const call: FetchCall = {
        url: new URL(url),
        method: init.method ?? 'GET',
        headers: init.headers as Record<string, string>,
        body: init.body === undefined ? undefined : JSON.parse(init.body as string),
        signal,
        respond: (status, body) =>
          resolve(
            new Response(typeof body === 'string' ? body : JSON.stringify(body ?? {}), { status }),
          ),
        fail: () => reject(new TypeError('fetch failed')),
      };
      calls.push(call);
      for (const waiter of waiters.filter((w) => w.index < calls.length)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(calls[waiter.index]);
      }
    });
  const nth = (index: number): Promise<FetchCall> =>
    index < calls.length
      ? Promise.resolve(calls[index])
      : new Promise((resolve) => waiters.push({ index, resolve }));
  return { fetch, calls, nth };
}

/** A SimulatedClock that tells when a timer of a given delay is set. */
function watchedClock() {
  const clock = new SimulatedClock();
  const waiters: Array<{ ms: number; resolve(): void }> = [];
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => {
    const id = setTimeout(fn, ms);
    const waiter = waiters.find((w) => w.ms === ms);
    if (waiter) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    return id;
  };
  /** Call before the action that sets the timer. */
  const nextTimer = (ms: number) => new Promise<void>((resolve) => waiters.push({ ms, resolve }));
  return { clock, nextTimer };
}

function setup(options: Parameters<typeof createTestClient>[0] = {}) {
  const http = scriptedFetch();
  const { clock, nextTimer } = watchedClock();
  const test = createTestClient({ httpUrl: HTTP, fetch: http.fetch, clock, ...options });
  return { ...test, http, nextTimer };
}

const unavailable = { error: { code: 'UNAVAILABLE', message: 'engine down' } };

describe('transient calls over HTTP (scripted fetch, SimulatedClock)', () => {
  it('publish goes over HTTP while no socket is open, and opens none', async () => {
    const { client, server, http } = setup({ uid: 'writer' });
    const ack = client.publish('news', 'headline', { title: 'hi' });
    const call = await http.nth(0);
    expect(call.method).toBe('POST');
    expect(call.url.href).toBe(`${HTTP}/v1/publish`);
    expect(call.headers).toMatchObject({
      'content-type': 'application/json',
      'x-statewire-uid': 'writer',
    });
    expect(call.body).toEqual({
      room: 'news',
      event: 'headline',
      content: { title: 'hi' },
      mid: expect.any(String),
    });
    call.respond(200, { offset: 4, epoch: 'e1', id: call.body.mid });
    expect(await ack).toEqual({ offset: 4, epoch: 'e1', id: call.body.mid });
    expect(server.connections).toHaveLength(0);
    expect(client.state).toBe('idle');
  });

  it('request, history, presence, queueMessage and rpc answer as over the socket', async () => {
    const { client, server, http } = setup();
    const request = client.request('double', 21, { room: 'r' });
    (await http.nth(0)).respond(200, { data: 42 });
    expect(await request).toBe(42);
    expect(http.calls[0].body).toEqual({ event: 'double', content: 21, room: 'r' });

    const history = client.history('news', { since: { epoch: 'e1', offset: 3 }, limit: 2 });
    const hist = await http.nth(1);
    expect(hist.method).toBe('GET');
    expect(hist.url.pathname).toBe('/v1/history');
    expect(Object.fromEntries(hist.url.searchParams)).toEqual({
      room: 'news',
      epoch: 'e1',
      offset: '3',
      limit: '2',
    });
    const message = { room: 'news', event: 'h', content: 1, offset: 4, id: 'm4', from: 'w' };
    hist.respond(200, { epoch: 'e1', offset: 4, complete: true, messages: [message] });
    expect(await history).toEqual({ epoch: 'e1', offset: 4, complete: true, messages: [message] });

    const presence = client.presence('news');
    const members = await http.nth(2);
    expect(members.url.href).toBe(`${HTTP}/v1/presence?room=news`);
    members.respond(200, { members: ['a', 'b'] });
    expect(await presence).toEqual(['a', 'b']);

    const queued = client.queueMessage('jobs', { n: 1 }, { correlationId: 'c1' });
    const queue = await http.nth(3);
    expect([queue.url.pathname, queue.body]).toEqual([
      '/v1/queue',
      { queue: 'jobs', data: { n: 1 }, correlationId: 'c1' },
    ]);
    queue.respond(200, { id: 'q1' });
    expect(await queued).toEqual({ id: 'q1' });

    const reply = client.rpc('math', 2, { timeoutMs: 5000 });
    const rpc = await http.nth(4);
    expect([rpc.url.pathname, rpc.body]).toEqual([
      '/v1/rpc',
      { queue: 'math', data: 2, timeoutMs: 5000 },
    ]);
    rpc.respond(200, { data: 4 });
    expect(await reply).toBe(4);

    expect(server.connections).toHaveLength(0);
    expect(client.state).toBe('idle');
  });

  it('history is retried with exponential backoff on 503, then succeeds', async () => {
    const { client, clock, http, nextTimer } = setup({ random: () => 1 });
    const page = client.history('news');
    for (const [attempt, delay] of [200, 400, 800].entries()) {
      const backoff = nextTimer(delay);
      (await http.nth(attempt)).respond(503, unavailable);
      await backoff;
      clock.increment(delay);
    }
    (await http.nth(3)).respond(200, { epoch: 'e', offset: 0, complete: true, messages: [] });
    expect(await page).toEqual({ epoch: 'e', offset: 0, complete: true, messages: [] });
  });

  it('backoff has jitter: the delay is random() times the ceiling', async () => {
    const { client, clock, http, nextTimer } = setup({ random: () => 0.25 });
    const members = client.presence('r');
    const backoff = nextTimer(50);
    (await http.nth(0)).respond(502, 'Bad Gateway');
    await backoff;
    clock.increment(50);
    (await http.nth(1)).respond(200, { members: [] });
    expect(await members).toEqual([]);
  });

  it('a read gives up after maxRetries and rejects with the last error', async () => {
    const { client, clock, http, nextTimer } = setup({ maxRetries: 1 });
    const page = client.history('news');
    const backoff = nextTimer(200);
    (await http.nth(0)).respond(503, unavailable);
    await backoff;
    clock.increment(200);
    (await http.nth(1)).respond(504, '');
    await expect(page).rejects.toMatchObject({ code: 'TIMEOUT', message: 'HTTP 504' });
    expect(http.calls).toHaveLength(2);
  });

  it('a read is retried after a network error and after its own timeout', async () => {
    const { client, clock, http, nextTimer } = setup({ timeoutMs: 1000 });
    const members = client.presence('r');
    let backoff = nextTimer(200);
    (await http.nth(0)).fail();
    await backoff;
    clock.increment(200);
    const second = await http.nth(1);
    backoff = nextTimer(400);
    clock.increment(1000);
    await backoff;
    expect(second.signal.aborted).toBe(true);
    clock.increment(400);
    (await http.nth(2)).respond(200, { members: ['u'] });
    expect(await members).toEqual(['u']);
  });

  it('a read is not retried on a 4xx', async () => {
    const { client, http } = setup();
    const page = client.history('secret');
    (await http.nth(0)).respond(403, { error: { code: 'FORBIDDEN', message: 'not yours' } });
    await expect(page).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'not yours',
      recoverable: false,
    });
    expect(http.calls).toHaveLength(1);
  });

  it('publish is not retried (503 or network error)', async () => {
    const { client, http } = setup();
    const first = client.publish('news', 'e', 1);
    (await http.nth(0)).respond(503, unavailable);
    await expect(first).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'engine down' });
    const second = client.request('e', 1);
    (await http.nth(1)).fail();
    await expect(second).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(http.calls).toHaveLength(2);
  });

  it('a call without an answer within timeoutMs rejects TIMEOUT and aborts the fetch', async () => {
    const { client, clock, http, nextTimer } = setup();
    const timer = nextTimer(5000);
    const ack = client.publish('news', 'e', 1, { timeoutMs: 5000 });
    const call = await http.nth(0);
    await timer;
    clock.increment(4999);
    expect(call.signal.aborted).toBe(false);
    clock.increment(1);
    await expect(ack).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(call.signal.aborted).toBe(true);
    expect(http.calls).toHaveLength(1);
  });

  it('the default timeout is timeoutMs (30 s) per attempt', async () => {
    const { client, clock, http, nextTimer } = setup();
    const timer = nextTimer(30_000);
    const answer = client.request('slow', null);
    await http.nth(0);
    await timer;
    clock.increment(30_000);
    await expect(answer).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('TOKEN_EXPIRED: the token function is called again and the call retried once', async () => {
    const tokens = ['t1', 't2', 't3'];
    const { client, http } = setup({ token: async () => tokens.shift()! });
    const ack = client.publish('news', 'e', 1);
    const first = await http.nth(0);
    expect(first.headers.authorization).toBe('Bearer t1');
    expect(first.headers['x-statewire-uid']).toBeUndefined();
    first.respond(401, { error: { code: 'TOKEN_EXPIRED', message: 'token expired' } });
    const second = await http.nth(1);
    expect(second.headers.authorization).toBe('Bearer t2');
    expect(second.body.mid).toBe(first.body.mid);
    second.respond(200, { offset: 1, epoch: 'e', id: second.body.mid });
    expect(await ack).toMatchObject({ offset: 1 });

    // Only once per call: a second TOKEN_EXPIRED is the answer.
    const page = client.history('news');
    (await http.nth(2)).respond(401, { error: { code: 'TOKEN_EXPIRED', message: 'expired' } });
    const retried = await http.nth(3);
    expect(retried.headers.authorization).toBe('Bearer t3');
    retried.respond(401, { error: { code: 'TOKEN_EXPIRED', message: 'still expired' } });
    await expect(page).rejects.toMatchObject({ code: 'TOKEN_EXPIRED', message: 'still expired' });
    expect(tokens).toEqual([]);
  });

  it('calls answered TOKEN_EXPIRED at once share one refresh', async () => {
    let calls = 0;
    const { client, http } = setup({ token: async () => `t${++calls}` });
    const a = client.request('a', null);
    const b = client.request('b', null);
    const [first, second] = await Promise.all([http.nth(0), http.nth(1)]);
    expect(calls).toBe(1);
    first.respond(401, { error: { code: 'TOKEN_EXPIRED', message: 'x' } });
    second.respond(401, { error: { code: 'TOKEN_EXPIRED', message: 'x' } });
    const retries = await Promise.all([http.nth(2), http.nth(3)]);
    expect(retries.map((r) => r.headers.authorization)).toEqual(['Bearer t2', 'Bearer t2']);
    for (const retry of retries) retry.respond(200, { data: retry.body.event });
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(calls).toBe(2);
  });

  it('a static token answered TOKEN_EXPIRED rejects at once', async () => {
    const { client, http } = setup({ token: 'static' });
    const answer = client.request('e', 1);
    const call = await http.nth(0);
    expect(call.headers.authorization).toBe('Bearer static');
    call.respond(401, { error: { code: 'TOKEN_EXPIRED', message: 'token expired' } });
    await expect(answer).rejects.toMatchObject({ code: 'TOKEN_EXPIRED', recoverable: true });
    expect(http.calls).toHaveLength(1);
  });

  it('errors map by the body code, else by the status', async () => {
    const { client, http } = setup();
    const cases: Array<[number, unknown, string]> = [
      [404, { error: { code: 'NOT_FOUND', message: 'no handler' } }, 'NOT_FOUND'],
      [500, { error: { code: 'RATE_LIMITED', message: 'body wins' } }, 'RATE_LIMITED'],
      [502, '<html>bad gateway</html>', 'UNAVAILABLE'],
      [404, '', 'NOT_FOUND'],
      [413, 'too big', 'PAYLOAD_TOO_LARGE'],
      [429, { error: { code: 'NOPE', message: 'unknown code' } }, 'RATE_LIMITED'],
      [418, 'teapot', 'BAD_REQUEST'],
      [500, '', 'INTERNAL'],
      [200, 'not json', 'INTERNAL'],
    ];
    for (const [index, [status, body, code]] of cases.entries()) {
      const answer = client.request('e', index);
      (await http.nth(index)).respond(status, body);
      await expect(answer).rejects.toMatchObject({ code });
    }
  });

  it('once a socket is opening or open, the same calls use it', async () => {
    const { client, server, http } = setup();
    const sub = client.subscribe('news');
    const ack = client.publish('news', 'e', 1);
    await sub.ready();
    expect(await ack).toMatchObject({ offset: 1 });
    expect(await client.presence('news')).toHaveLength(1);
    expect(http.calls).toHaveLength(0);
    expect(server.connections).toHaveLength(1);

    // Disconnected: transient again.
    await client.disconnect();
    const members = client.presence('news');
    (await http.nth(0)).respond(200, { members: [] });
    expect(await members).toEqual([]);
    expect(server.connections).toHaveLength(1);
  });

  it('lazy: false never uses HTTP: a call opens the socket', async () => {
    const { client, server, http } = setup({ lazy: false });
    server.on('double', (n) => (n as number) * 2);
    expect(await client.request('double', 2)).toBe(4);
    expect(http.calls).toHaveLength(0);
    expect(client.state).toBe('connected');
  });

  it('without an HTTP endpoint (no httpUrl, not ws://) calls wake the socket', async () => {
    const { client, server, http } = setup({ httpUrl: undefined });
    server.on('double', (n) => (n as number) * 2);
    expect(await client.request('double', 2)).toBe(4);
    expect(http.calls).toHaveLength(0);
  });

  it('disconnect() rejects the HTTP calls under way with DISCONNECTED', async () => {
    const { client, http, nextTimer } = setup();
    const request = client.request('e', 1);
    const page = client.history('news');
    const backoff = nextTimer(200);
    await http.nth(0);
    (await http.nth(1)).respond(503, unavailable);
    await backoff; // history is waiting to retry
    await client.disconnect();
    await expect(request).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(page).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(http.calls[0].signal.aborted).toBe(true);
    expect(http.calls).toHaveLength(2);
  });

  it('disconnect() does not wait for a token function under way', async () => {
    const { client, http } = setup({ token: () => new Promise<string>(() => undefined) });
    const answer = client.request('e', 1);
    await client.disconnect();
    await expect(answer).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(http.calls).toHaveLength(0);
  });

  it('disconnect() between getting the token and sending: nothing is sent', async () => {
    const { client, http } = setup({ token: 'static' });
    // The call is past its token step (no wait for a static token), not yet at fetch.
    const ack = client.publish('r', 'e', 1).catch((error) => error);
    await client.disconnect();
    // Every microtask of the call has run by the next macrotask.
    await new Promise((resolve) => setImmediate(resolve));
    expect(http.calls).toHaveLength(0);
    expect(await ack).toMatchObject({ code: 'DISCONNECTED' });
  });

  it('a token function that throws rejects the call with its error', async () => {
    const { client, http } = setup({
      token: () => {
        throw new Error('vault down');
      },
    });
    await expect(client.publish('r', 'e', 1)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'token function failed: vault down',
    });
    expect(http.calls).toHaveLength(0);
  });
});

describe('httpBaseOf', () => {
  it('derives http(s) from ws(s), drops the path, prefers httpUrl', () => {
    expect(httpBaseOf('ws://127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
    expect(httpBaseOf('wss://example.com/realtime/?x=1')).toBe('https://example.com/realtime');
    expect(httpBaseOf('ws://[::1]:9/')).toBe('http://[::1]:9');
    expect(httpBaseOf('ws://a', 'https://api.example.com/base/')).toBe(
      'https://api.example.com/base',
    );
    expect(httpBaseOf('memory://statewire')).toBeUndefined();
    expect(httpBaseOf('not a url')).toBeUndefined();
  });
});
