import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import { type AnyActorRef, type InspectionEvent, waitFor } from 'xstate';
import { type Client, type ClientOptions, createClient } from '../../src/index.js';
import { createServer, type Server } from '../../src/server/index.js';
import { nextEvent } from '../../src/testing/index.js';

/*
 * SPEC §9 inspection, end to end over real sockets: the `inspect` option sees the transitions of
 * the connection, auth and subscription actors, and no token, whichever way it was given, ever
 * reaches an inspection event (raw, or as @statelyai/inspect serializes it for its tools).
 */

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Everything reachable from an inspection event as JSON (cycles cut, Maps and Sets listed). */
function dump(event: InspectionEvent): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(event, (_key, value) => {
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[seen]';
    seen.add(value);
    if (value instanceof Map) return Object.fromEntries(value);
    if (value instanceof Set) return [...value];
    return value;
  });
}

const unique = `${process.pid}-${Math.random().toString(36).slice(2)}`;
const TOKENS = {
  static: `tok-static-${unique}`,
  fetched: `tok-fetched-${unique}`,
  refreshed: `tok-refreshed-${unique}`,
  set: `tok-set-${unique}`,
};

async function startServer(): Promise<{
  server: Server;
  verified: (token: string) => Promise<void>;
}> {
  const waiters: Array<{ token: string; resolve(): void }> = [];
  const server = createServer({
    port: 0,
    auth: {
      verifyToken: (token) => {
        for (const waiter of waiters.filter((w) => w.token === token)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
        if (token === TOKENS.static) return { uid: 'reader' };
        return Object.values(TOKENS).includes(token) ? { uid: 'writer' } : null;
      },
    },
  });
  await server.start();
  cleanups.push(() => server.close());
  return {
    server,
    verified: (token) => new Promise((resolve) => waiters.push({ token, resolve })),
  };
}

function client(options: ClientOptions): Client {
  const created = createClient({ reconnect: { minDelayMs: 10, maxDelayMs: 50 }, ...options });
  cleanups.push(() => created.disconnect());
  return created;
}

/** JSON values of the snapshots `actor` went through. */
function valuesOf(events: InspectionEvent[], actor: AnyActorRef): string[] {
  return events.flatMap((e) =>
    e.type === '@xstate.snapshot' && e.actorRef === actor
      ? [JSON.stringify((e.snapshot as { value?: unknown }).value)]
      : [],
  );
}

function eventTypesTo(events: InspectionEvent[], actor: AnyActorRef): string[] {
  return events.flatMap((e) =>
    e.type === '@xstate.event' && e.actorRef === actor ? [e.event.type] : [],
  );
}

describe('inspection of a live client', () => {
  it('shows every lifecycle actor transition and never a token', async () => {
    const raw: InspectionEvent[] = [];
    const stately: StatelyInspectionEvent[] = [];
    const inspector = createInspector({ send: (event) => stately.push(event) });
    const inspect = (event: InspectionEvent) => {
      raw.push(event);
      inspector.inspect.next?.(event);
    };
    const { server, verified } = await startServer();

    // A static token, a subscription, a message.
    const reader = client({ url: server.url, token: TOKENS.static, inspect });
    const room = reader.subscribe('room');
    await room.ready();
    const got = new Promise((resolve) => room.on('message', resolve));
    await reader.publish('room', 'hello', 'world');
    await got;

    // A token function, refreshed in place before it expires, then replaced by setToken.
    const fetched = [TOKENS.fetched, TOKENS.refreshed];
    const writer = client({
      url: server.url,
      inspect,
      refreshLeadMs: 59_950,
      // The first token is due for a refresh at once, the refreshed one an hour later.
      token: async () => {
        const token = fetched.shift() ?? TOKENS.refreshed;
        const lifetime = token === TOKENS.fetched ? 60_000 : 3_600_000;
        return { token, expiresAt: Date.now() + lifetime };
      },
    });
    const refreshed = verified(TOKENS.refreshed);
    await writer.connect();
    await refreshed;
    await waitFor(writer.actors.auth, (s) => s.matches({ session: 'scheduled' }));
    const replaced = verified(TOKENS.set);
    writer.setToken(TOKENS.set);
    await replaced;

    // A lost connection: both sign in again (the static tokens travel in `hello` again).
    const back = Promise.all([nextEvent(reader, 'signedIn'), nextEvent(writer, 'signedIn')]);
    await server.close();
    await server.start();
    await back;
    await room.ready();

    // The transitions are there: connection, auth and subscription actors.
    const { connection, auth } = writer.actors;
    const subscription = reader.actors.subscriptions.get('room') as AnyActorRef;
    expect(valuesOf(raw, connection)).toEqual(
      expect.arrayContaining([
        '"idle"',
        '{"online":"connecting"}',
        '{"online":"authenticating"}',
        '{"online":{"connected":"waiting"}}',
        '"reconnecting"',
      ]),
    );
    expect(valuesOf(raw, auth)).toEqual(
      expect.arrayContaining(['"fetching"', '{"session":"refreshing"}', '{"session":"updating"}']),
    );
    expect(valuesOf(raw, subscription)).toEqual(
      expect.arrayContaining(['"subscribed"', '{"subscribing":"waiting"}']),
    );
    expect(eventTypesTo(raw, connection)).toEqual(
      expect.arrayContaining(['CONNECT', 'SOCKET.OPEN']),
    );
    expect(eventTypesTo(raw, auth)).toEqual(expect.arrayContaining(['SET_TOKEN']));
    expect(eventTypesTo(raw, subscription).length).toBeGreaterThan(0);
    expect(stately.some((e) => e.type === '@xstate.snapshot')).toBe(true);
    expect(stately.some((e) => e.type === '@xstate.event')).toBe(true);

    // …and no token anywhere: not in raw events, not in what a Stately inspector receives.
    const texts = [...raw.map(dump), ...stately.map((e) => JSON.stringify(e))];
    for (const token of Object.values(TOKENS)) {
      expect(texts.filter((text) => text.includes(token))).toEqual([]);
    }
    // The search can find what it looks for: the room name and the uid do show up.
    expect(texts.some((text) => text.includes('"uid":"writer"'))).toBe(true);
    expect(JSON.stringify([reader.snapshot(), writer.snapshot()])).not.toContain(unique);
  });
});
