import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock, setup } from 'xstate';
import { createNetworkLogic } from '../../src/actors/network.js';
import type { authMachine } from '../../src/machines/auth.js';
import {
  type ConnectionEvent,
  type ConnectionInput,
  connectionMachine,
  connectionStateName,
} from '../../src/machines/connection.js';
import { backoffDelay } from '../../src/machines/connectionPolicy.js';
import { afterEvent, allTransitionKeys, edgePaths, isActive, transitionRecorder } from './graph.js';

const DELAYS = {
  backoff: 700,
  connectTimeout: 3000,
  handshakeTimeout: 3100,
  heartbeatInterval: 1000,
  pongTimeout: 500,
};

function input(overrides: Partial<ConnectionInput> = {}): ConnectionInput {
  return {
    auth: { mode: 'none', refreshLeadMs: 1000 },
    reconnect: { minDelayMs: 100, maxDelayMs: 1000, maxAttempts: 1 },
    timeoutMs: 3000,
    waitOnFirstConnect: false,
    ...overrides,
  };
}

// An inert auth child: these tests play its part (AUTH.READY/FAILED) by sending events.
const authStub = setup({}).createMachine({}) as unknown as typeof authMachine;

/** The machine with inert children: the test plays the socket and auth by sending events. */
function testable(actions: { sendHello?: () => void; sendPing?: () => void } = {}) {
  return connectionMachine.provide({
    actors: { socket: fromCallback(() => undefined), auth: authStub },
    actions: {
      sendHello: actions.sendHello ?? (() => {}),
      sendPing: actions.sendPing ?? (() => {}),
    },
    delays: DELAYS,
  });
}

const serialize = (snapshot: any) =>
  JSON.stringify([
    snapshot.value,
    snapshot.context.attempt,
    snapshot.context.signedInOnce,
    snapshot.context.failure?.fatal ?? null,
  ]);

const EVENTS: ConnectionEvent[] = [
  { type: 'CONNECT' },
  { type: 'DISCONNECT' },
  { type: 'SOCKET.OPEN' },
  { type: 'SOCKET.CLOSED', code: 1006, reason: '' },
  { type: 'SOCKET.CLOSED', code: 1008, reason: 'UNAUTHORIZED' },
  { type: 'WELCOME', uid: 'u1', session: 's1', heartbeatMs: 1000, maxPayload: 1000 },
  { type: 'CHALLENGE', challenge: 'c' },
  { type: 'SERVER.ERROR', code: 'TOKEN_EXPIRED', message: 'expired' },
  { type: 'SERVER.ERROR', code: 'RATE_LIMITED', message: 'slow down' },
  { type: 'BYE', reason: 'shutdown' },
  { type: 'PONG' },
  { type: 'AUTH.READY' },
  { type: 'AUTH.FAILED', code: 'UNAUTHORIZED', message: 'no' },
  { type: 'AUTH.FAILED', code: 'UNAVAILABLE', message: 'token service down' },
  { type: 'NETWORK.OFFLINE' },
  { type: 'NETWORK.ONLINE' },
  { type: 'PAGE.HIDDEN' },
  { type: 'PAGE.SHOWN' },
  ...[...allTransitionKeys(connectionMachine)]
    .map((key) => /"(xstate\.after\.[^"]+)"/.exec(key)?.[1])
    .filter((type): type is string => type !== undefined)
    .map((type) => ({ type }) as unknown as ConnectionEvent),
];

describe('connection machine: every transition, replayed from xstate/graph paths', () => {
  const inputs = {
    'one reconnect attempt': input(),
    'reconnect disabled': input({ reconnect: false }),
    'wait on first connect': input({ waitOnFirstConnect: true }),
  };
  const taken = new Set<string>();

  for (const [name, machineInput] of Object.entries(inputs)) {
    it(`replays every enabled edge (${name})`, () => {
      const paths = edgePaths(connectionMachine, {
        events: EVENTS,
        input: machineInput,
        serialize,
      });
      expect(paths.length).toBeGreaterThan(20);
      for (const path of paths) {
        const clock = new SimulatedClock();
        const actor = createActor(testable(), {
          input: machineInput,
          clock,
          inspect: transitionRecorder(taken),
        }).start();
        for (const { event, expected } of path.steps) {
          const after = afterEvent(event.type);
          if (after) {
            // A timer fires only while its state is active; the model agrees (no transition).
            if (isActive(actor.getSnapshot(), after.stateId)) {
              clock.increment(DELAYS[after.delay as keyof typeof DELAYS]);
            }
          } else {
            actor.send(event);
          }
          expect(serialize(actor.getSnapshot()), `after ${event.type}`).toBe(expected);
        }
        actor.stop();
      }
    });
  }

  it('took every transition of the machine', () => {
    const missing = [...allTransitionKeys(connectionMachine)].filter((key) => !taken.has(key));
    expect(missing).toEqual([]);
  });
});

describe('connection machine: behaviour', () => {
  function start(
    machineInput = input({ reconnect: { minDelayMs: 100, maxDelayMs: 1000, maxAttempts: 3 } }),
  ) {
    const clock = new SimulatedClock();
    const sent: string[] = [];
    const actor = createActor(
      testable({ sendHello: () => sent.push('hello'), sendPing: () => sent.push('ping') }),
      { input: machineInput, clock },
    ).start();
    const state = () => connectionStateName(actor.getSnapshot());
    const signIn = () => {
      actor.send({ type: 'SOCKET.OPEN' });
      actor.send({ type: 'AUTH.READY' });
      actor.send({
        type: 'WELCOME',
        uid: 'u1',
        session: 's1',
        heartbeatMs: 1000,
        maxPayload: 1000,
      });
    };
    return { actor, clock, sent, state, signIn };
  }

  it('says hello once the credential is ready and signs in on welcome', () => {
    const { actor, sent, state, signIn } = start();
    actor.send({ type: 'CONNECT' });
    expect(state()).toBe('connecting');
    signIn();
    expect(sent).toEqual(['hello']);
    expect(state()).toBe('connected');
    expect(actor.getSnapshot().context).toMatchObject({ uid: 'u1', session: 's1', attempt: 0 });
  });

  it('first connect failure closes without retry', () => {
    const { actor, state } = start();
    actor.send({ type: 'CONNECT' });
    actor.send({ type: 'SOCKET.CLOSED', code: 1006, reason: 'refused' });
    expect(state()).toBe('closed');
    expect(actor.getSnapshot().context.failure).toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('retries with backoff after a loss, counts attempts, gives up at maxAttempts', () => {
    const { actor, clock, state, signIn } = start();
    const errors: unknown[] = [];
    actor.on('error', (e) => errors.push(e));
    actor.send({ type: 'CONNECT' });
    signIn();
    actor.send({ type: 'SOCKET.CLOSED', code: 1006, reason: '' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(state()).toBe('reconnecting');
      clock.increment(DELAYS.backoff);
      expect(state()).toBe('connecting');
      expect(actor.getSnapshot().context.attempt).toBe(attempt);
      actor.send({ type: 'SOCKET.CLOSED', code: 1006, reason: '' });
    }
    expect(state()).toBe('closed');
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'UNAVAILABLE',
        recoverable: false,
        message: expect.stringMatching(/gave up after 3/),
      }),
    ]);
  });

  it('an attempt that signs in resets the attempt counter', () => {
    const { actor, clock, state, signIn } = start();
    actor.send({ type: 'CONNECT' });
    signIn();
    actor.send({ type: 'SOCKET.CLOSED', code: 1006, reason: '' });
    clock.increment(DELAYS.backoff);
    actor.send({ type: 'SOCKET.CLOSED', code: 1006, reason: '' });
    clock.increment(DELAYS.backoff);
    expect(actor.getSnapshot().context.attempt).toBe(2);
    signIn();
    expect(state()).toBe('connected');
    expect(actor.getSnapshot().context.attempt).toBe(0);
  });

  it('UNAUTHORIZED during the handshake is never retried', () => {
    const { actor, state, signIn } = start();
    actor.send({ type: 'CONNECT' });
    signIn();
    actor.send({ type: 'SOCKET.CLOSED', code: 1006, reason: '' });
    actor.send({ type: 'CONNECT' });
    actor.send({ type: 'SOCKET.OPEN' });
    actor.send({ type: 'SERVER.ERROR', code: 'UNAUTHORIZED', message: 'bad token' });
    actor.send({ type: 'SOCKET.CLOSED', code: 1008, reason: 'UNAUTHORIZED' });
    expect(state()).toBe('closed');
    expect(actor.getSnapshot().context.failure).toMatchObject({
      code: 'UNAUTHORIZED',
      fatal: true,
    });
  });

  it('heartbeat: pings every interval, a missed pong is a loss', () => {
    const { actor, clock, sent, state, signIn } = start();
    actor.send({ type: 'CONNECT' });
    signIn();
    clock.increment(DELAYS.heartbeatInterval);
    expect(sent).toEqual(['hello', 'ping']);
    actor.send({ type: 'PONG' });
    clock.increment(DELAYS.heartbeatInterval);
    expect(sent).toEqual(['hello', 'ping', 'ping']);
    clock.increment(DELAYS.pongTimeout);
    expect(state()).toBe('reconnecting');
    expect(actor.getSnapshot().context.close).toEqual({ reason: 'heartbeat timeout' });
  });

  it('heartbeat: none when the server announces heartbeatMs 0 and the client has no policy', () => {
    const clock = new SimulatedClock();
    const sent: string[] = [];
    // The machine's own delays: they follow the server's heartbeatMs.
    const actor = createActor(
      connectionMachine.provide({
        actors: { socket: fromCallback(() => undefined), auth: authStub },
        actions: { sendPing: () => sent.push('ping') },
      }),
      { input: input(), clock },
    ).start();
    actor.send({ type: 'CONNECT' });
    actor.send({ type: 'SOCKET.OPEN' });
    actor.send({ type: 'WELCOME', uid: 'u', session: 's', heartbeatMs: 0, maxPayload: 1 });
    for (let i = 0; i < 10; i++) clock.increment(60_000);
    expect(sent).toEqual([]);
    expect(connectionStateName(actor.getSnapshot())).toBe('connected');
  });

  it('connect and handshake timeouts are losses too', () => {
    const { actor, clock, state } = start(input({ waitOnFirstConnect: true }));
    actor.send({ type: 'CONNECT' });
    clock.increment(DELAYS.connectTimeout);
    expect(state()).toBe('reconnecting');
    clock.increment(DELAYS.backoff);
    actor.send({ type: 'SOCKET.OPEN' });
    clock.increment(DELAYS.handshakeTimeout);
    expect(state()).toBe('closed');
    expect(actor.getSnapshot().context.failure).toMatchObject({ code: 'TIMEOUT', fatal: true });
  });

  it('keeps the reason of bye over the close frame', () => {
    const { actor, state, signIn } = start();
    actor.send({ type: 'CONNECT' });
    signIn();
    actor.send({ type: 'BYE', reason: 'server shutting down' });
    actor.send({ type: 'SOCKET.CLOSED', code: 1001, reason: '' });
    expect(state()).toBe('reconnecting');
    expect(actor.getSnapshot().context.close).toEqual({
      code: 1001,
      reason: 'server shutting down',
    });
  });
});

describe('connection machine: browser network and page events', () => {
  function start(
    machineInput = input({ reconnect: { minDelayMs: 100, maxDelayMs: 1000, maxAttempts: 5 } }),
  ) {
    const clock = new SimulatedClock();
    const network = new EventTarget();
    const listening: string[] = [];
    const actor = createActor(
      connectionMachine.provide({
        actors: {
          socket: fromCallback(() => undefined),
          auth: authStub,
          // The real logic over an EventTarget the test dispatches on, counting its listeners.
          network: createNetworkLogic(() => ({
            addEventListener: (type, listener) => {
              listening.push(type);
              network.addEventListener(type, listener);
            },
            removeEventListener: (type, listener) => {
              listening.splice(listening.indexOf(type), 1);
              network.removeEventListener(type, listener);
            },
          })),
        },
        delays: DELAYS,
      }),
      { input: machineInput, clock },
    ).start();
    const state = () => actor.getSnapshot().value;
    const signIn = () => {
      actor.send({ type: 'SOCKET.OPEN' });
      actor.send({ type: 'WELCOME', uid: 'u1', session: 's1', heartbeatMs: 60_000, maxPayload: 1 });
    };
    const dispatch = (type: string, persisted?: boolean) =>
      network.dispatchEvent(Object.assign(new Event(type), { persisted }));
    return { actor, clock, state, signIn, dispatch, listening };
  }

  it('offline: a connected session is lost at once, no missed heartbeat needed', () => {
    const { actor, state, signIn, dispatch } = start();
    actor.send({ type: 'CONNECT' });
    signIn();
    dispatch('offline');
    expect(state()).toBe('reconnecting');
    expect(actor.getSnapshot().context).toMatchObject({
      close: { reason: 'network offline' },
      failure: { code: 'DISCONNECTED', fatal: false },
    });
  });

  it('online: a reconnect waiting out its backoff goes now', () => {
    const { actor, clock, state, signIn, dispatch } = start();
    actor.send({ type: 'CONNECT' });
    signIn();
    actor.send({ type: 'SOCKET.CLOSED', code: 1006, reason: '' });
    clock.increment(DELAYS.backoff - 1);
    expect(state()).toBe('reconnecting');
    dispatch('online');
    expect(connectionStateName(actor.getSnapshot())).toBe('connecting');
    expect(actor.getSnapshot().context.attempt).toBe(1);
    // online while connected changes nothing
    signIn();
    dispatch('online');
    expect(connectionStateName(actor.getSnapshot())).toBe('connected');
  });

  it('pagehide into the bfcache closes and waits without a timer; pageshow reconnects', () => {
    const { actor, clock, state, signIn, dispatch } = start();
    actor.send({ type: 'CONNECT' });
    signIn();
    dispatch('pagehide', false); // a real unload: the browser closes the socket itself
    expect(connectionStateName(actor.getSnapshot())).toBe('connected');
    dispatch('pagehide', true);
    expect(state()).toBe('suspended');
    expect(connectionStateName(actor.getSnapshot())).toBe('reconnecting');
    expect(actor.getSnapshot().context.close).toEqual({
      reason: 'page hidden (back/forward cache)',
    });
    expect(actor.getSnapshot().children.socket).toBeUndefined();
    for (let i = 0; i < 10; i++) clock.increment(60_000);
    dispatch('online');
    expect(state()).toBe('suspended');
    dispatch('pageshow', false);
    expect(state()).toBe('suspended');
    dispatch('pageshow', true);
    expect(connectionStateName(actor.getSnapshot())).toBe('connecting');
    signIn();
    expect(connectionStateName(actor.getSnapshot())).toBe('connected');
  });

  it('pagehide while waiting to reconnect stops the backoff timer too', () => {
    const { actor, clock, state, signIn, dispatch } = start();
    actor.send({ type: 'CONNECT' });
    signIn();
    actor.send({ type: 'SOCKET.CLOSED', code: 1006, reason: '' });
    dispatch('pagehide', true);
    clock.increment(DELAYS.backoff * 10);
    expect(state()).toBe('suspended');
  });

  it('listens only while connecting, connected or waiting to reconnect', () => {
    const { actor, signIn, dispatch, listening } = start();
    const all = ['offline', 'online', 'pagehide', 'pageshow'];
    expect(listening).toEqual([]);
    dispatch('offline');
    expect(actor.getSnapshot().value).toBe('idle');
    actor.send({ type: 'CONNECT' });
    expect(listening).toEqual(all);
    signIn();
    dispatch('offline');
    expect(listening).toEqual(all);
    actor.send({ type: 'DISCONNECT' });
    expect(listening).toEqual([]);
  });
});

describe('backoffDelay', () => {
  const policy = { minDelayMs: 500, maxDelayMs: 20_000, maxAttempts: 10 };
  it('is full jitter under an exponential ceiling', () => {
    expect([0, 1, 2, 3, 6].map((a) => backoffDelay(a, policy, () => 1))).toEqual([
      500, 1000, 2000, 4000, 20_000,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(2000);
  });

  it('a client-provided jitter source (input.random) drives the named delay', () => {
    const clock = new SimulatedClock();
    const actor = createActor(
      connectionMachine.provide({
        actors: { socket: fromCallback(() => undefined), auth: authStub },
      }),
      { input: input({ reconnect: policy, random: () => 0.25 }), clock },
    ).start();
    actor.send({ type: 'CONNECT' });
    actor.send({ type: 'SOCKET.OPEN' });
    actor.send({ type: 'WELCOME', uid: 'u', session: 's', heartbeatMs: 60_000, maxPayload: 1 });
    actor.send({ type: 'SOCKET.CLOSED', code: 1006, reason: '' });
    clock.increment(124);
    expect(connectionStateName(actor.getSnapshot())).toBe('reconnecting');
    clock.increment(1);
    expect(connectionStateName(actor.getSnapshot())).toBe('connecting');
  });
});
