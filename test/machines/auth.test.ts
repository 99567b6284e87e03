import { describe, expect, it } from 'vitest';
import {
  type AnyEventObject,
  createActor,
  fromCallback,
  fromPromise,
  SimulatedClock,
  waitFor,
} from 'xstate';
import {
  type AuthEvent,
  type AuthInput,
  authMachine,
  type TokenInfo,
} from '../../src/machines/auth.js';
import { afterEvent, allTransitionKeys, edgePaths, isActive, transitionRecorder } from './graph.js';

const REFRESH_LEAD_MS = 1000;
const SOURCE_OF: Record<string, string> = {
  fetch: 'fetchToken',
  refresh: 'fetchToken',
  send: 'sendToken',
  sign: 'signChallenge',
};

interface Deferred {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** An auth actor whose credential actors are promises the test settles. */
function harness(input: AuthInput, inspect?: (event: any) => void) {
  const clock = new SimulatedClock();
  const parentEvents: AnyEventObject[] = [];
  // The parent owns the actor system, hence the clock and the inspection observer.
  const parent = createActor(
    fromCallback<AnyEventObject>(({ receive }) => receive((event) => parentEvents.push(event))),
    { clock, inspect },
  ).start();
  const pending = new Map<string, Deferred>();
  const stub = (src: string) =>
    fromPromise<any, any>(
      () => new Promise((resolve, reject) => pending.set(src, { resolve, reject })),
    );
  const logic = authMachine.provide({
    actors: {
      fetchToken: stub('fetchToken'),
      sendToken: stub('sendToken'),
      signChallenge: stub('signChallenge'),
    },
  });
  const emitted: AnyEventObject[] = [];
  const actor = createActor(logic, { input, parent }).start();
  actor.on('*', (event) => emitted.push(event));

  /** Settles the actor invoked as `id`; resolves once the machine has left its state. */
  async function settle(id: string, outcome: { output?: unknown; error?: unknown }) {
    const child = actor.getSnapshot().children[id as never];
    if (!child) return;
    const deferred = pending.get(SOURCE_OF[id])!;
    if ('error' in outcome) deferred.reject(outcome.error);
    else deferred.resolve(outcome.output);
    await waitFor(actor, (s) => s.children[id as never] !== child, { timeout: 1000 });
  }
  return { actor, clock, parentEvents, emitted, settle };
}

const serialize = (snapshot: any) =>
  JSON.stringify([
    snapshot.value,
    snapshot.context.mode,
    snapshot.context.stale,
    snapshot.context.expiresInMs !== undefined,
  ]);

const done = (id: string, output: TokenInfo) =>
  ({ type: `xstate.done.actor.${id}`, output }) as unknown as AuthEvent;
const failed = (id: string, code: string) =>
  ({ type: `xstate.error.actor.${id}`, error: { code, message: code } }) as unknown as AuthEvent;

const EVENTS: AuthEvent[] = [
  { type: 'PREPARE' },
  { type: 'CHALLENGE', challenge: 'nonce' },
  { type: 'SIGNED_IN' },
  { type: 'EXPIRED' },
  { type: 'SET_TOKEN', mode: 'static' },
  { type: 'SET_TOKEN', mode: 'function' },
  { type: 'OFFLINE' },
  { type: 'xstate.after.refreshLead.auth.session.scheduled' } as unknown as AuthEvent,
  ...['fetch', 'refresh', 'send', 'sign'].flatMap((id) => [
    done(id, { expiresInMs: 10_000 }),
    done(id, {}),
    failed(id, 'UNAUTHORIZED'),
    failed(id, 'UNAVAILABLE'),
  ]),
];

describe('auth machine: every transition, replayed from xstate/graph paths', () => {
  const taken = new Set<string>();
  for (const mode of ['none', 'static', 'function'] as const) {
    it(`replays every enabled edge (mode ${mode})`, async () => {
      const input: AuthInput = { mode, refreshLeadMs: REFRESH_LEAD_MS };
      // sendParent has no parent during traversal: the model gets inert notifications.
      const model = authMachine.provide({
        actions: { notifyReady: () => {}, notifyFailed: () => {} },
      });
      const paths = edgePaths(model, { events: EVENTS, input, serialize });
      expect(paths.length).toBeGreaterThan(10);
      for (const path of paths) {
        const { actor, clock, settle } = harness(input, transitionRecorder(taken));
        for (const { event, expected } of path.steps) {
          const after = afterEvent(event.type);
          const invoke = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event.type);
          if (after) {
            if (isActive(actor.getSnapshot(), after.stateId)) {
              clock.increment(10_000 - REFRESH_LEAD_MS);
            }
          } else if (invoke) {
            const outcome = event as unknown as { output?: unknown; error?: unknown };
            await settle(
              invoke[2],
              invoke[1] === 'done' ? { output: outcome.output } : { error: outcome.error },
            );
          } else {
            actor.send(event);
          }
          expect(serialize(actor.getSnapshot()), `after ${event.type}`).toBe(expected);
        }
      }
    });
  }

  it('took every transition of the machine', () => {
    const missing = [...allTransitionKeys(authMachine)].filter((key) => !taken.has(key));
    expect(missing).toEqual([]);
  });
});

describe('auth machine: behaviour', () => {
  it('static token: ready at once', () => {
    const { actor, parentEvents } = harness({ mode: 'static', refreshLeadMs: 0 });
    actor.send({ type: 'PREPARE' });
    expect(parentEvents).toEqual([{ type: 'AUTH.READY' }]);
  });

  it('token function: fetched on every prepare, refreshed refreshLeadMs before expiry, sent in place', async () => {
    const { actor, clock, parentEvents, emitted, settle } = harness({
      mode: 'function',
      refreshLeadMs: REFRESH_LEAD_MS,
    });
    actor.send({ type: 'PREPARE' });
    expect(actor.getSnapshot().value).toBe('fetching');
    await settle('fetch', { output: { expiresInMs: 5000 } });
    expect(parentEvents).toEqual([{ type: 'AUTH.READY' }]);
    actor.send({ type: 'SIGNED_IN' });
    clock.increment(5000 - REFRESH_LEAD_MS - 1);
    expect(actor.getSnapshot().value).toEqual({ session: 'scheduled' });
    clock.increment(1);
    expect(actor.getSnapshot().value).toEqual({ session: 'refreshing' });
    await settle('refresh', { output: { expiresInMs: 5000 } });
    expect(actor.getSnapshot().value).toEqual({ session: 'updating' });
    await settle('send', { output: {} });
    expect(actor.getSnapshot().value).toEqual({ session: 'scheduled' });
    expect(emitted).toEqual([{ type: 'refreshed' }]);
    // A reconnect calls the function again.
    actor.send({ type: 'OFFLINE' });
    actor.send({ type: 'PREPARE' });
    expect(actor.getSnapshot().value).toBe('fetching');
  });

  it('a token function throwing UnauthorizedError closes the session', async () => {
    const { actor, parentEvents, settle } = harness({ mode: 'function', refreshLeadMs: 0 });
    actor.send({ type: 'PREPARE' });
    await settle('fetch', { error: { code: 'UNAUTHORIZED', message: 'revoked' } });
    expect(actor.getSnapshot().value).toBe('closed');
    expect(parentEvents).toEqual([
      { type: 'AUTH.FAILED', code: 'UNAUTHORIZED', message: 'revoked' },
    ]);
    actor.send({ type: 'PREPARE' });
    expect(parentEvents).toHaveLength(2);
    actor.send({ type: 'SET_TOKEN', mode: 'static' });
    expect(actor.getSnapshot().value).toBe('idle');
  });

  it('static token reported expired fails the next handshake until a new one is set', () => {
    const { actor, parentEvents, emitted } = harness({ mode: 'static', refreshLeadMs: 0 });
    actor.send({ type: 'PREPARE' });
    actor.send({ type: 'SIGNED_IN' });
    actor.send({ type: 'EXPIRED' });
    expect(emitted).toEqual([
      { type: 'refreshFailed', code: 'TOKEN_EXPIRED', message: 'token expired; set a new one' },
    ]);
    actor.send({ type: 'OFFLINE' });
    actor.send({ type: 'PREPARE' });
    expect(parentEvents.at(-1)).toMatchObject({ type: 'AUTH.FAILED', code: 'TOKEN_EXPIRED' });
    actor.send({ type: 'SET_TOKEN', mode: 'static' });
    actor.send({ type: 'PREPARE' });
    expect(parentEvents.at(-1)).toEqual({ type: 'AUTH.READY' });
  });

  it('a token set while one is being sent restarts the send (the newest wins)', () => {
    const { actor } = harness({ mode: 'static', refreshLeadMs: 0 });
    actor.send({ type: 'PREPARE' });
    actor.send({ type: 'SIGNED_IN' });
    actor.send({ type: 'SET_TOKEN', mode: 'static' });
    const first = actor.getSnapshot().children.send;
    expect(first).toBeDefined();
    actor.send({ type: 'SET_TOKEN', mode: 'static' });
    expect(actor.getSnapshot().value).toEqual({ session: 'updating' });
    expect(actor.getSnapshot().children.send).not.toBe(first);
  });

  it('a token set while one is being fetched restarts the fetch with the new source', async () => {
    const { actor, parentEvents, settle } = harness({ mode: 'function', refreshLeadMs: 0 });
    actor.send({ type: 'PREPARE' });
    const first = actor.getSnapshot().children.fetch;
    actor.send({ type: 'SET_TOKEN', mode: 'function' });
    expect(actor.getSnapshot().value).toBe('fetching');
    expect(actor.getSnapshot().children.fetch).not.toBe(first);
    await settle('fetch', { output: {} });
    expect(actor.getSnapshot().value).toBe('ready');
    expect(parentEvents).toEqual([{ type: 'AUTH.READY' }]);
  });
});
