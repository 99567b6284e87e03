import { describe, expect, it } from 'vitest';
import type { ClientEvents, Message } from '../../src/index.js';
import { createTestClient, nextEvent } from '../../src/testing/index.js';

/* Browser network awareness (SPEC §3) on the client: an EventTarget stands in for `window`
 * (option `networkEventTarget`), against the FakeServer on a SimulatedClock. Nothing here waits
 * on a timer: the clock never moves unless a test says so. */

const BACKOFF = { minDelayMs: 5000, maxDelayMs: 5000 };

function setup() {
  const network = new EventTarget();
  const test = createTestClient({ reconnect: BACKOFF, networkEventTarget: network });
  const dispatch = (type: string, persisted?: boolean) =>
    network.dispatchEvent(Object.assign(new Event(type), { persisted }));
  const disconnects: Array<ClientEvents['disconnected']> = [];
  test.client.on('disconnected', (event) => disconnects.push(event));
  return { ...test, dispatch, disconnects };
}

describe('network and page events (SimulatedClock, in-memory transport)', () => {
  it('offline drops the connection at once; online reconnects without waiting out the backoff', async () => {
    const { client, server, clock, dispatch, disconnects } = setup();
    const received: Message[] = [];
    const sub = client.subscribe('news', (m) => received.push(m));
    await sub.ready();
    const first = server.last!;

    dispatch('offline');
    expect(client.state).toBe('reconnecting');
    expect(disconnects).toEqual([{ reason: 'network offline', willReconnect: true }]);
    server.publish('news', 'while offline', 1);

    const reopened = server.nextConnection();
    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    dispatch('online');
    await reopened;
    await nextEvent(client, 'signedIn');
    expect(await recovered).toEqual({ recovered: true, missed: 1 });
    expect(first.closed).toBe(true);
    expect(received.map((m) => m.content)).toEqual([1]);
    // The 5 s backoff never ran: the clock did not move.
    expect(clock.now()).toBe(0);
  });

  it('bfcache: pagehide closes the socket cleanly and holds; pageshow reconnects and recovers', async () => {
    const { client, server, clock, dispatch, disconnects } = setup();
    const received: Message[] = [];
    const sub = client.subscribe('news', (m) => received.push(m));
    await sub.ready();
    const first = server.last!;

    dispatch('pagehide', true);
    expect(disconnects).toEqual([
      { reason: 'page hidden (back/forward cache)', willReconnect: true },
    ]);
    expect(client.actors.connection.getSnapshot().value).toBe('suspended');
    server.publish('news', 'while hidden', 1);
    // No timer runs while the page is in the cache: the backoff does not bring it back.
    clock.increment(BACKOFF.maxDelayMs * 10);
    expect(server.connections).toHaveLength(1);

    const publish = client.publish('news', 'queued while hidden', 2);
    const recovered = new Promise((resolve) => sub.on('recovered', resolve));
    dispatch('pageshow', true);
    await nextEvent(client, 'signedIn');
    expect(await recovered).toEqual({ recovered: true, missed: 1 });
    expect(await publish).toMatchObject({ offset: 2 });
    expect(server.connections).toHaveLength(2);
    expect(first.closed).toBe(true);
    await client.ping();
    expect(received.map((m) => m.content)).toEqual([1, 2]);
  });

  it('is ignored before the first use and after disconnect(); null listens to nothing', async () => {
    const { client, server, dispatch } = setup();
    dispatch('pageshow', true);
    dispatch('online');
    expect(client.state).toBe('idle');
    await client.connect();
    await client.disconnect();
    dispatch('online');
    dispatch('pageshow', true);
    expect(client.state).toBe('closed');
    expect(server.connections).toHaveLength(1);

    const deaf = createTestClient({ networkEventTarget: null });
    await deaf.client.connect();
    expect(deaf.client.isConnected).toBe(true);
    await deaf.client.disconnect();
  });
});
