import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { webSocketTransport } from '../../src/actors/webSocketTransport.js';
import type { Json, Transport } from '../../src/index.js';
import { createLink, type Link, type LinkOptions } from '../../src/link/index.js';
import { SimulatedClock } from '../../src/testing/index.js';

/* Links over real `ws` on port 0. Every wait is on an event. */

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function link(options?: LinkOptions): Link {
  const created = createLink(options);
  cleanups.push(() => created.close());
  return created;
}

async function pair(options: { a?: LinkOptions; b?: LinkOptions } = {}) {
  const a = link(options.a);
  const port = await a.bind('127.0.0.1', 0);
  const b = link(options.b);
  const aConnected = new Promise<void>((resolve) => a.onConnected(() => resolve()));
  await b.connect('127.0.0.1', port);
  await aConnected;
  return { a, b, port };
}

function nextEvent(on: Link, event: string): Promise<{ content: Json; event: string }> {
  return new Promise((resolve) => {
    const off = on.on(event, (content, name) => {
      off();
      resolve({ content, event: name });
    });
  });
}

function disconnected(side: Link): Promise<{ reason: string; code?: number }> {
  return new Promise((resolve) => {
    const off = side.onDisconnected((payload) => {
      off();
      resolve(payload);
    });
  });
}

/** WebSocket transport that drops incoming frames `drop` says so about. */
function filtering(drop: (text: string) => boolean): Transport {
  const inner = webSocketTransport();
  return {
    connect: (url, handlers) =>
      inner.connect(url, {
        ...handlers,
        message: (text) => {
          if (!drop(text)) handlers.message(text);
        },
      }),
  };
}

/** A raw `ws` client; `messages()` resolves with the frames received until it closed. */
function rawClient(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  cleanups.push(() => ws.terminate());
  const frames: unknown[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve) => ws.on('open', () => resolve()));
  const nextFrame = () =>
    new Promise<any>((resolve) =>
      ws.once('message', (data) => resolve(JSON.parse(data.toString()))),
    );
  return { ws, frames, closed, opened, nextFrame };
}

describe('link (one-to-one, real ws)', () => {
  it('connects, and both sides send, receive and ping', async () => {
    const { a, b } = await pair();
    expect(a.isConnected).toBe(true);
    expect(b.isConnected).toBe(true);

    const atA = nextEvent(a, 'greet');
    expect(b.send('greet', { from: 'b' })).toBe(true);
    expect(await atA).toEqual({ content: { from: 'b' }, event: 'greet' });

    const atB = nextEvent(b, '*');
    expect(a.send('reply', [1, 2])).toBe(true);
    expect(await atB).toEqual({ content: [1, 2], event: 'reply' });

    expect(await a.ping()).toBeGreaterThanOrEqual(0);
    expect(await b.ping()).toBeGreaterThanOrEqual(0);
  });

  it('keeps the order of messages in both directions', async () => {
    const { a, b } = await pair();
    const seen: Json[] = [];
    const done = new Promise<void>((resolve) =>
      a.on('n', (content) => {
        seen.push(content);
        if (content === 499) resolve();
      }),
    );
    for (let n = 0; n < 500; n++) b.send('n', n);
    await done;
    expect(seen).toEqual([...Array(500).keys()]);
  });

  it('a bound link refuses a second peer (HTTP 409) and keeps the first', async () => {
    const { a, b, port } = await pair();
    const c = link();
    await expect(c.connect('127.0.0.1', port)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('409'),
    });
    expect(c.isConnected).toBe(false);
    expect(c.send('x', 1)).toBe(false);
    const atA = nextEvent(a, 'still');
    b.send('still', 'here');
    expect((await atA).content).toBe('here');
  });

  it('close from the connecting side: both see isConnected false and send false', async () => {
    const { a, b } = await pair({ b: { transport: filtering((text) => text.includes('"ping"')) } });
    const pendingAtA = a.ping(); // b never sees this ping
    const aLost = disconnected(a);
    const atA = nextEvent(a, 'last');
    b.send('last', 'words');
    await b.close();
    expect(b.isConnected).toBe(false);
    expect(b.send('x', 1)).toBe(false);
    expect((await atA).content).toBe('words');
    expect(await aLost).toMatchObject({ code: 1000 });
    expect(a.isConnected).toBe(false);
    expect(a.send('x', 1)).toBe(false);
    await expect(pendingAtA).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(a.ping()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('close from the bound side: both see isConnected false; it stops listening', async () => {
    const { a, b, port } = await pair({ b: { transport: filtering((t) => t.includes('"pong"')) } });
    const pendingAtB = b.ping(); // the pong is dropped on the way
    const bLost = disconnected(b);
    const atB = nextEvent(b, 'bye');
    a.send('bye', null);
    await a.close();
    expect(a.isConnected).toBe(false);
    expect(a.send('x', 1)).toBe(false);
    expect((await atB).event).toBe('bye');
    expect(await bLost).toEqual({ reason: 'link closed', code: 1000 });
    expect(b.isConnected).toBe(false);
    expect(b.send('x', 1)).toBe(false);
    await expect(pendingAtB).rejects.toMatchObject({ code: 'DISCONNECTED' });

    await expect(link().connect('127.0.0.1', port)).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    // b may connect elsewhere without close() first.
    const other = link();
    await b.connect('127.0.0.1', await other.bind());
    expect(b.isConnected).toBe(true);
  });

  it('a bound link takes a new peer once the first one left; a link can reconnect', async () => {
    const { a, b, port } = await pair();
    const aLost = disconnected(a);
    await b.close();
    await aLost;

    const c = link();
    const aConnected = new Promise<void>((resolve) => a.onConnected(() => resolve()));
    await c.connect('127.0.0.1', port);
    await aConnected;
    const atA = nextEvent(a, 'hi');
    c.send('hi', 'from c');
    expect((await atA).content).toBe('from c');

    const cLost = disconnected(c);
    const aLostAgain = disconnected(a);
    await c.close();
    await Promise.all([cLost, aLostAgain]);
    await b.connect('127.0.0.1', port);
    expect(b.isConnected).toBe(true);
  });

  it('connect to nothing rejects UNAVAILABLE; a link is one side at a time', async () => {
    const a = link();
    const port = await a.bind();
    await a.close();
    const b = link();
    await expect(b.connect('127.0.0.1', port)).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    const c = link();
    await c.bind();
    await expect(c.connect('127.0.0.1', port)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(c.bind()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('the bound side answers hello with welcome and refuses anything else first', async () => {
    const a = link();
    const port = await a.bind();
    const rude = rawClient(port);
    await rude.opened;
    const error = rude.nextFrame();
    rude.ws.send(JSON.stringify({ type: 'send', event: 'e', content: 1 }));
    expect(await error).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    expect(await rude.closed).toEqual({ code: 1008, reason: 'BAD_REQUEST' });

    const polite = rawClient(port);
    await polite.opened;
    const welcome = polite.nextFrame();
    polite.ws.send(JSON.stringify({ type: 'hello', v: 1 }));
    expect(await welcome).toMatchObject({ type: 'welcome', v: 1, heartbeatMs: 25_000 });
    expect(a.isConnected).toBe(true);
    const pong = polite.nextFrame();
    polite.ws.send(JSON.stringify([{ type: 'ping', id: 'x' }]));
    expect(await pong).toEqual({ type: 'pong', id: 'x' });
  });

  it('the bound side survives items that are not messages (null, [null], 42, bad JSON, binary)', async () => {
    const a = link();
    const port = await a.bind();

    for (const first of ['null', '[null]', '42', '{', '[]']) {
      const rude = rawClient(port);
      await rude.opened;
      const error = rude.nextFrame();
      rude.ws.send(first);
      expect(await error).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
      expect(await rude.closed).toEqual({ code: 1008, reason: 'BAD_REQUEST' });
    }

    const peer = rawClient(port);
    await peer.opened;
    const welcome = peer.nextFrame();
    peer.ws.send(JSON.stringify({ type: 'hello', v: 1 }));
    await welcome;
    for (const bad of ['null', '[null, 42, "x", [1]]', '42', '{']) peer.ws.send(bad);
    const atA = nextEvent(a, 'still');
    peer.ws.send(JSON.stringify([null, { type: 'send', event: 'still', content: 'here' }]));
    expect((await atA).content).toBe('here');
    const pong = new Promise<void>((resolve) =>
      peer.ws.on('message', (data) => {
        if (data.toString().includes('"pong"')) resolve();
      }),
    );
    peer.ws.send(JSON.stringify({ type: 'ping', id: 'after' }));
    await pong;
    const errors = Array(8).fill(expect.objectContaining({ type: 'error', code: 'BAD_REQUEST' }));
    expect(peer.frames).toEqual([
      expect.objectContaining({ type: 'welcome' }),
      ...errors,
      { type: 'pong', id: 'after' },
    ]);
    expect(a.isConnected).toBe(true);

    const aLost = disconnected(a);
    peer.ws.send(Buffer.from('binary'), { binary: true });
    expect(await peer.closed).toEqual({ code: 1002, reason: 'BAD_REQUEST' });
    expect(await aLost).toEqual({ code: 1002, reason: 'BAD_REQUEST' });
  });

  it('the bound side cuts a silent peer after two heartbeat intervals and a mute one at the handshake timeout (SimulatedClock)', async () => {
    const clock = new SimulatedClock();
    const a = link({ clock, heartbeatMs: 1000, timeoutMs: 5000 });
    const port = await a.bind();

    const mute = rawClient(port);
    await mute.opened;
    clock.increment(5000);
    expect(await mute.closed).toEqual({ code: 1008, reason: 'HANDSHAKE_TIMEOUT' });

    const silent = rawClient(port);
    await silent.opened;
    const welcome = silent.nextFrame();
    silent.ws.send(JSON.stringify({ type: 'hello', v: 1 }));
    await welcome;
    const lost = disconnected(a);
    // One heartbeat tick per step: a tick is scheduled from the simulated time it fired at.
    clock.increment(1000);
    clock.increment(1000);
    expect(a.isConnected).toBe(true);
    clock.increment(1000);
    expect((await lost).code).toBe(1006);
    expect(a.isConnected).toBe(false);
  });
});

it('refuses a heartbeat or timeout that is not a positive number', () => {
  expect(() => createLink({ heartbeatMs: 0 })).toThrow(/heartbeatMs/);
  expect(() => createLink({ timeoutMs: -1 })).toThrow(/timeoutMs/);
});
