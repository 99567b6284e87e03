import { describe, expect, it } from 'vitest';
import {
  type Client,
  type ClientEvents,
  type Message,
  StatewireError,
  type Transport,
  webSocketTransport,
} from '../../src/index.js';
import { nextEvent, SimulatedClock } from '../../src/testing/index.js';
import { client, collect, startServer } from './e2eHelpers.js';

/* End to end over real `ws` against the real server on port 0. Every wait is on an event. */

/** The WebSocket transport, with every incoming frame shown to `onFrame` first. */
function tapped(onFrame: (text: string) => void): Transport {
  const inner = webSocketTransport();
  return {
    connect: (url, handlers) =>
      inner.connect(url, {
        ...handlers,
        message: (text) => {
          onFrame(text);
          handlers.message(text);
        },
      }),
  };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A server with token auth for uid `u`, recording every token it verified. */
async function tokenServer() {
  const verified: string[] = [];
  const server = await startServer({
    auth: {
      verifyToken: (token) => {
        verified.push(token);
        return { uid: 'u' };
      },
    },
  });
  return { server, verified };
}

describe('client ↔ server end to end', () => {
  it('connects, subscribes, publishes, calls the server', async () => {
    const server = await startServer();
    server.on('add', (content) => {
      const { a, b } = content as { a: number; b: number };
      return a + b;
    });
    const alice = client({ url: server.url, uid: 'alice' });
    const sub = alice.subscribe('r1');
    const got = collect(sub);
    await sub.ready();
    const ack = await alice.publish('r1', 'hello', { x: 1 });
    await got.untilOffset(1);
    expect(got.messages).toEqual([
      { room: 'r1', event: 'hello', content: { x: 1 }, offset: 1, id: ack.id, from: 'alice' },
    ]);
    expect(await alice.request('add', { a: 1, b: 2 })).toBe(3);
    expect(await alice.ping()).toBeGreaterThanOrEqual(0);
    expect((await alice.history('r1')).messages).toEqual(got.messages);
    expect(await alice.presence('r1')).toEqual(['alice']);
    const direct = new Promise<Message>((resolve) => alice.onRoom('alice', resolve));
    await server.publish('alice', 'dm', 'psst');
    expect(await direct).toMatchObject({ room: 'alice', event: 'dm', content: 'psst' });
  });

  it('server down at the first connect: connect() rejects, no retry', async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();
    const c = client({ url });
    const error = nextEvent(c, 'error');
    await expect(c.connect()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(await error).toMatchObject({ code: 'UNAVAILABLE', recoverable: false });
    expect(c.state).toBe('closed');
    // `closed` has no timer: nothing will try again until connect() is called.
    expect(c.actors.connection.getSnapshot().value).toBe('closed');
  });

  it('publishes buffered while the server is away are delivered once after it is back', async () => {
    const server = await startServer();
    const c = client({ url: server.url });
    const sub = c.subscribe('buffered');
    const got = collect(sub);
    await sub.ready();
    const lost = nextEvent(c, 'disconnected');
    await server.close();
    await lost;
    const acks = [c.publish('buffered', 'e', 'a'), c.publish('buffered', 'e', 'b')];
    await server.start();
    expect((await Promise.all(acks)).map((a) => a.offset)).toEqual([1, 2]);
    await got.untilOffset(2);
    expect(got.offsets()).toEqual([1, 2]);
  });

  it('a new server (history lost) on the same port: resubscribed, reported as not recovered', async () => {
    const first = await startServer();
    const port = first.port;
    const c = client({ url: first.url });
    const sub = c.subscribe('r');
    const got = collect(sub);
    await sub.ready();
    await first.publish('r', 'e', 1);
    await got.untilOffset(1);
    const lost = nextEvent(c, 'disconnected');
    await first.close();
    await lost;
    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    const second = await startServer({ port });
    expect(await recovered).toEqual({ recovered: false, missed: 0 });
    await second.publish('r', 'e', 'fresh');
    expect(await got.until((m) => m.content === 'fresh')).toMatchObject({ offset: 1 });
    expect(got.offsets()).toEqual([1, 1]);
  });

  it('events fire in order, once per real change', async () => {
    const server = await startServer();
    const c = client({ url: server.url });
    const log: string[] = [];
    const names: Array<keyof ClientEvents> = [
      'connecting',
      'connected',
      'signedIn',
      'disconnected',
    ];
    for (const name of names) {
      c.on(name, (payload: any) =>
        log.push(name === 'disconnected' ? `disconnected(${payload.willReconnect})` : name),
      );
    }
    const states: string[] = [];
    c.on('state', ({ from, to }) => states.push(`${from}>${to}`));
    await c.connect();
    const back = nextEvent(c, 'signedIn');
    await server.close();
    await server.start();
    await back;
    await c.disconnect();
    // Attempts made while the server was down add `connecting` events only.
    const compact = log.filter(
      (name, i) => !(name === 'connecting' && log[i + 1] === 'connecting'),
    );
    expect(compact).toEqual([
      'connecting',
      'connected',
      'signedIn',
      'disconnected(true)',
      'connecting',
      'connected',
      'signedIn',
      'disconnected(false)',
    ]);
    for (let i = 1; i < states.length; i++) {
      expect(states[i].split('>')[0]).toBe(states[i - 1].split('>')[1]);
    }
  });

  it('maxAttempts reached: error (not recoverable), closed, disconnected(willReconnect false)', async () => {
    const server = await startServer();
    const c = client({
      url: server.url,
      reconnect: { minDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 },
    });
    await c.connect();
    const error = nextEvent(c, 'error');
    const closed = nextEvent(c, 'disconnected', (d) => !d.willReconnect);
    await server.close();
    expect(await error).toMatchObject({
      recoverable: false,
      message: expect.stringMatching(/gave up after 2/),
    });
    await closed;
    expect(c.state).toBe('closed');
  });

  it('disconnect() during pending calls: every call rejects DISCONNECTED', async () => {
    const server = await startServer();
    const started = deferred();
    server.on('slow', () => {
      started.resolve();
      return new Promise(() => {});
    });
    const c = client({ url: server.url });
    await c.subscribe('room').ready();
    const calls = [c.request('slow', 1), c.request('slow', 2)];
    await started.promise;
    const pending = c.subscribe('other');
    await c.disconnect();
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(pending.ready()).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(c.state).toBe('closed');
  });

  it('bad credentials: UNAUTHORIZED, no retry', async () => {
    let verifications = 0;
    const server = await startServer({
      auth: {
        verifyToken: (token) => {
          verifications++;
          return token === 'good' ? { uid: 'u' } : null;
        },
      },
    });
    const c = client({ url: server.url, token: 'bad' });
    await expect(c.connect()).rejects.toMatchObject({ code: 'UNAUTHORIZED', recoverable: false });
    expect(c.state).toBe('closed');
    expect(verifications).toBe(1);
  });

  it('a token expiring mid-session is refreshed in place (no reconnect)', async () => {
    const verified: string[] = [];
    const server = await startServer({
      auth: {
        verifyToken: (token) => {
          verified.push(token);
          return { uid: 'u', expiresAt: Number(token.split(':')[1]) };
        },
      },
    });
    let issued = 0;
    // No wall-clock window: the first token is valid for a minute but inside the 2-minute
    // refresh lead, so its refresh is due at once; the second one's is 8 minutes away. When the
    // refresh is due is a SimulatedClock test (test/client/auth.test.ts).
    const c = client({
      url: server.url,
      refreshLeadMs: 120_000,
      token: async () => {
        const expiresAt = Date.now() + (++issued === 1 ? 60_000 : 600_000);
        return { token: `t${issued}:${expiresAt}`, expiresAt };
      },
    });
    let connects = 0;
    c.on('connecting', () => connects++);
    const refreshed = new Promise((resolve) => c.actors.auth.on('refreshed', resolve));
    await c.connect();
    await refreshed;
    expect(issued).toBe(2);
    expect(verified.map((t) => t.split(':')[0])).toEqual(['t1', 't2']);
    expect(connects).toBe(1);
    expect(c.isConnected).toBe(true);
    expect(await c.request('missing', null).catch((e) => e.code)).toBe('NOT_FOUND');
  });

  it('TOKEN_EXPIRED on a call → one refresh → the call is retried once', async () => {
    // The handler answers the first call TOKEN_EXPIRED, as the server does for a call arriving
    // after the session's token expired: the same frames, without waiting for an expiry.
    const { server, verified } = await tokenServer();
    let served = 0;
    server.on('echo', (content) => {
      if (++served === 1) throw new StatewireError('TOKEN_EXPIRED', 'token expired');
      return content;
    });
    const frames: string[] = [];
    let issued = 0;
    const c = client({
      url: server.url,
      transport: tapped((frame) => frames.push(frame)),
      token: () => `t${++issued}`,
    });
    await c.connect();
    expect(await c.request('echo', 'again')).toBe('again');
    expect(served).toBe(2);
    expect(verified).toEqual(['t1', 't2']);
    expect(frames.filter((frame) => frame.includes('TOKEN_EXPIRED'))).toHaveLength(1);
    expect(c.isConnected).toBe(true);
  });

  it('setToken sends the new credential on the live socket', async () => {
    const { server, verified } = await tokenServer();
    const c = client({ url: server.url, token: 'first' });
    await c.connect();
    const refreshed = new Promise((resolve) => c.actors.auth.on('refreshed', resolve));
    c.setToken('second');
    await refreshed;
    expect(verified).toEqual(['first', 'second']);
    expect(c.isConnected).toBe(true);
  });

  it('challenge/response is re-run on every reconnect', async () => {
    const server = await startServer({
      auth: {
        challenge: (uid) => `hello ${uid}`,
        verify: (uid, signature, challenge) => signature === `signed:${uid}:${challenge}`,
      },
    });
    const challenges: string[] = [];
    const c = client({
      url: server.url,
      uid: 'frank',
      onChallenge: (challenge) => {
        challenges.push(challenge);
        return `signed:frank:${challenge}`;
      },
    });
    await c.connect();
    const back = nextEvent(c, 'signedIn');
    await server.close();
    await server.start();
    expect(await back).toMatchObject({ uid: 'frank' });
    expect(challenges).toHaveLength(2);
    expect(challenges[0]).toMatch(/^hello frank\./);
    expect(challenges[1]).not.toBe(challenges[0]);
  });

  it('server heartbeatMs 0 (off): the client sends no heartbeat and stays signed in', async () => {
    const server = await startServer({ heartbeatMs: 0 });
    const clock = new SimulatedClock();
    const c = client({ url: server.url, clock });
    const drops: unknown[] = [];
    c.on('disconnected', (event) => drops.push(event));
    await c.connect();
    // Client timers run on the simulated clock: ten minutes pass at once.
    for (let i = 0; i < 10; i++) clock.increment(60_000);
    expect(await c.ping()).toBe(0);
    expect(drops).toEqual([]);
    expect(c.isConnected).toBe(true);
  });

  it('two subscriptions to one room share one server subscription', async () => {
    const server = await startServer();
    const c = client({ url: server.url, uid: 'sharer' });
    const first = c.subscribe('shared');
    const second = c.subscribe('shared');
    const a = collect(first);
    const b = collect(second);
    await Promise.all([first.ready(), second.ready()]);
    expect(await c.presence('shared')).toEqual(['sharer']);
    await server.publish('shared', 'e', 1);
    await b.untilOffset(1);
    first.close();
    expect(await c.presence('shared')).toEqual(['sharer']);
    await server.publish('shared', 'e', 2);
    await b.untilOffset(2);
    expect(a.offsets()).toEqual([1]);
    expect(b.offsets()).toEqual([1, 2]);
    second.close();
    expect(await c.presence('shared')).toEqual([]);
  });
});

describe('echo: false end to end', () => {
  /** Publishes `${tag}-${i}` for i in [from, to), all in flight at once. */
  function publishRange(c: Client, tag: string, from: number, to: number) {
    const range = Array.from({ length: to - from }, (_, i) => `${tag}-${from + i}`);
    return Promise.all(range.map((content) => c.publish('r', 'e', content)));
  }

  /** Every check of one subscriber's view: offsets rise, each message once, each sender's in order. */
  function expectOrderedOnce(messages: Message[], tags: string[], count: number) {
    const offsets = messages.map((m) => m.offset);
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    expect(new Set(offsets).size).toBe(offsets.length);
    for (const tag of tags) {
      const seqs = messages
        .map((m) => String(m.content))
        .filter((content) => content.startsWith(`${tag}-`))
        .map((content) => Number(content.slice(tag.length + 1)));
      expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i));
    }
  }

  it('a no-echo publisher is sent none of its own messages, the others get all; a broker-side cut loses nothing', async () => {
    const server = await startServer();
    let ownOnTheWire = 0;
    const alice = client({
      url: server.url,
      uid: 'alice',
      echo: false,
      // Acks carry no content: alice's contents in a frame would be her own messages sent back.
      transport: tapped((text) => {
        ownOnTheWire += text.match(/"a-\d+"/g)?.length ?? 0;
      }),
    });
    const bob = client({ url: server.url, uid: 'bob' });
    const aliceSub = alice.subscribe('r');
    const bobSub = bob.subscribe('r');
    const atAlice = collect(aliceSub);
    const atBob = collect(bobSub);
    await Promise.all([aliceSub.ready(), bobSub.ready()]);

    await Promise.all([publishRange(alice, 'a', 0, 20), publishRange(bob, 'b', 0, 20)]);
    await server.publish('r', 'e', 'server');
    // Later than every own message of alice's: had one been sent back, it came before this.
    await bob.publish('r', 'e', 'mark');
    await atAlice.until((m) => m.content === 'mark');
    expect(ownOnTheWire).toBe(0);

    // Cut by the broker with publishes in flight on both sides, more buffered while it is away.
    const inFlight = [publishRange(alice, 'a', 20, 40), publishRange(bob, 'b', 20, 40)];
    const lost = Promise.all([nextEvent(alice, 'disconnected'), nextEvent(bob, 'disconnected')]);
    await server.close();
    await lost;
    const buffered = [publishRange(alice, 'a', 40, 50), publishRange(bob, 'b', 40, 50)];
    await server.start();
    await Promise.all([...inFlight, ...buffered]);
    await bob.publish('r', 'e', 'end');
    await Promise.all([
      atAlice.until((m) => m.content === 'end'),
      atBob.until((m) => m.content === 'end'),
    ]);

    expect(atAlice.messages.filter((m) => m.from === 'alice')).toEqual([]);
    expect(atAlice.messages).toHaveLength(50 + 3);
    expectOrderedOnce(atAlice.messages, ['b'], 50);
    expect(atBob.messages).toHaveLength(100 + 3);
    expectOrderedOnce(atBob.messages, ['a', 'b'], 50);
  });
});
