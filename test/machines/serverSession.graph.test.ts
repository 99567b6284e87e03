import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  type SessionEmitted,
  type SessionEvent,
  type SessionInput,
  SILENT_TICKS_LIMIT,
  sessionMachine,
} from '../../src/machines/serverSession.js';
import { MAX_TIMER_DELAY_MS } from '../../src/machines/timerLimit.js';
import {
  afterEvent,
  allTransitionKeys,
  edgeLookup,
  edgePaths,
  replayEdges,
  untaken,
} from './graph.js';

/* The server session machine, edge by edge: xstate/graph enumerates every (state, event) pair
 * reachable with the events below, each is replayed on a real actor over a SimulatedClock
 * (timers fire by advancing the clock, never by sending their event), and every step is
 * checked three ways: the actor is where the graph says, the actor is where an independent
 * reference model of protocol §3, §8 and §10 says, and the commands it emitted (ping, tokenExpired,
 * close, terminate) are the ones that model asks for. Frames are never counted here (the
 * shared `activity` counter stays put), so every heartbeat tick is a silent one; the
 * behaviour tests in test/server/sessionMachine.test.ts cover a talking peer. */

const TTLS = [undefined, 0, 2500, MAX_TIMER_DELAY_MS + 1000];

function input(heartbeatMs: number): SessionInput {
  return {
    heartbeatMs,
    handshakeTimeoutMs: 5000,
    tokenGraceMs: 300,
    closeTimeoutMs: 700,
    activity: { count: 0 },
  };
}

const TIMER_EVENTS = [...allTransitionKeys(sessionMachine)]
  .map((key) => /"(xstate\.after\.[^"]+)"/.exec(key)?.[1])
  .filter((type): type is string => type !== undefined)
  .map((type) => ({ type }) as unknown as SessionEvent);

function events(ttls: Array<number | undefined>, timers: SessionEvent[]): SessionEvent[] {
  return [
    { type: 'HELLO', mode: 'none' },
    { type: 'HELLO', mode: 'token' },
    { type: 'HELLO', mode: 'challenge' },
    { type: 'SIGNATURE' },
    ...ttls.map((tokenTtlMs) => ({ type: 'AUTH_OK', uid: 'u1', tokenTtlMs }) as SessionEvent),
    { type: 'AUTH_FAILED', code: 'UNAUTHORIZED' },
    ...ttls.map((tokenTtlMs) => ({ type: 'TOKEN_REFRESHED', tokenTtlMs }) as SessionEvent),
    { type: 'CLOSE', code: 4000, reason: 'shutdown' },
    { type: 'SOCKET_CLOSED' },
    ...timers,
  ];
}

const INPUTS = {
  // Token timers only: nothing else lets time pass while a token timer runs.
  'no heartbeat': { input: input(0), events: events(TTLS, TIMER_EVENTS) },
  // A silent peer is closed SILENT_TICKS_LIMIT ticks (2 s) after sign-in, before any of these
  // tokens expires: their timers never fire here (they do in the input above).
  heartbeat: {
    input: input(1000),
    events: events(
      TTLS.filter((ttl) => ttl === undefined || ttl > SILENT_TICKS_LIMIT * 1000),
      TIMER_EVENTS.filter((e) => !/tokenLifetime|tokenGrace/.test(e.type)),
    ),
  },
};

/* ---- the reference model: what the protocol says a session does ---- */

type Phase = 'handshake' | 'awaitingSignature' | 'verifying' | 'open' | 'closing' | 'closed';

interface Model {
  phase: Phase;
  token: 'unlimited' | 'valid' | 'expired' | null;
  heartbeat: 'off' | 'watching' | null;
  uid: string | null;
  tokenRemainingMs: number | null;
  silentTicks: number;
}

/** The model's view of an actor snapshot. */
function modelOf(snapshot: any): Model {
  const value = snapshot.value;
  const phase: Phase =
    typeof value === 'string'
      ? value
      : 'signingIn' in value
        ? typeof value.signingIn === 'string'
          ? value.signingIn
          : value.signingIn.authenticating
        : 'open' in value
          ? 'open'
          : (JSON.stringify(value) as Phase);
  return {
    phase,
    token: phase === 'open' ? value.open.token : null,
    heartbeat: phase === 'open' ? value.open.heartbeat : null,
    uid: snapshot.context.uid,
    tokenRemainingMs: snapshot.context.tokenRemainingMs,
    silentTicks: snapshot.context.silentTicks,
  };
}

const label = (m: Model) =>
  m.phase === 'open'
    ? `open(token ${m.token}, heartbeat ${m.heartbeat}, ${m.silentTicks} silent)`
    : m.phase;

function eventName(event: SessionEvent): string {
  const after = afterEvent(event.type);
  if (after) return `after ${after.delay} (${after.stateId})`;
  if (event.type === 'HELLO') return `HELLO ${event.mode}`;
  if (event.type === 'AUTH_OK' || event.type === 'TOKEN_REFRESHED') {
    return `${event.type} ttl ${event.tokenTtlMs ?? '-'}`;
  }
  return event.type;
}

/** Next model state and the commands emitted on the way, by the protocol's rules. */
function predict(
  m: Model,
  event: SessionEvent,
  config: SessionInput,
): { next: Model; effects: SessionEmitted[] } {
  // A timer is an event of one state node: it does something only while that node is active.
  const timer = afterEvent(event.type)?.stateId;
  const stay = { next: m, effects: [] };
  const close = (code: number, reason: string) => ({
    next: { ...m, phase: 'closing' as const, token: null, heartbeat: null },
    effects: [{ type: 'close' as const, code, reason }],
  });
  const tokenFrom = (ttl: number | undefined) => ({
    token: ttl === undefined ? ('unlimited' as const) : ('valid' as const),
    tokenRemainingMs: ttl ?? null,
  });
  if (m.phase === 'closed') return stay; // final: the actor is done
  if (event.type === 'SOCKET_CLOSED') {
    return { next: { ...m, phase: 'closed', token: null, heartbeat: null }, effects: [] };
  }
  if (m.phase === 'closing') {
    if (timer === 'session.closing') {
      return { next: { ...m, phase: 'closed' }, effects: [{ type: 'terminate' }] };
    }
    return stay; // a second CLOSE, a late AUTH_OK…: the close already asked for stands
  }
  if (event.type === 'CLOSE') return close(event.code, event.reason);
  if (m.phase === 'handshake' || m.phase === 'awaitingSignature' || m.phase === 'verifying') {
    // One deadline for the whole sign-in, from the upgrade (protocol §3).
    if (timer === 'session.signingIn') return close(1008, 'HANDSHAKE_TIMEOUT');
    if (m.phase === 'handshake') {
      if (event.type !== 'HELLO') return stay;
      const phase = event.mode === 'challenge' ? 'awaitingSignature' : 'verifying';
      return { next: { ...m, phase }, effects: [] };
    }
    if (event.type === 'SIGNATURE' && m.phase === 'awaitingSignature') {
      return { next: { ...m, phase: 'verifying' }, effects: [] };
    }
    if (event.type === 'AUTH_FAILED') return close(1008, event.code);
    if (event.type === 'AUTH_OK') {
      const heartbeat = config.heartbeatMs > 0 ? ('watching' as const) : ('off' as const);
      return {
        next: { ...m, phase: 'open', heartbeat, uid: event.uid, ...tokenFrom(event.tokenTtlMs) },
        effects: [],
      };
    }
    return stay;
  }
  // open
  if (event.type === 'TOKEN_REFRESHED') {
    return { next: { ...m, ...tokenFrom(event.tokenTtlMs) }, effects: [] };
  }
  if (timer === 'session.open.token.valid' && m.token === 'valid') {
    const remaining = m.tokenRemainingMs ?? 0;
    if (remaining > MAX_TIMER_DELAY_MS) {
      return { next: { ...m, tokenRemainingMs: remaining - MAX_TIMER_DELAY_MS }, effects: [] };
    }
    return {
      next: { ...m, token: 'expired' },
      effects: [{ type: 'tokenExpired', graceMs: config.tokenGraceMs }],
    };
  }
  if (timer === 'session.open.token.expired' && m.token === 'expired')
    return close(1008, 'TOKEN_EXPIRED');
  if (timer === 'session.open.heartbeat.watching' && m.heartbeat === 'watching') {
    if (m.silentTicks + 1 >= SILENT_TICKS_LIMIT) return close(1001, 'HEARTBEAT_TIMEOUT');
    return { next: { ...m, silentTicks: m.silentTicks + 1 }, effects: [{ type: 'ping' }] };
  }
  return stay;
}

/* ---- the replay ---- */

const serialize = (snapshot: any) =>
  JSON.stringify([
    snapshot.value,
    snapshot.status,
    snapshot.context.tokenRemainingMs,
    snapshot.context.silentTicks,
  ]);

describe('session machine: every edge, replayed from xstate/graph paths', () => {
  const taken = new Set<string>();
  /** `state × event` → the commands the actor emitted on that edge (last replay wins). */
  const edges = new Map<string, SessionEmitted[]>();

  for (const [name, { input: machineInput, events: graphEvents }] of Object.entries(INPUTS)) {
    it(`replays every edge (${name})`, () => {
      const paths = edgePaths(sessionMachine, {
        events: graphEvents,
        input: machineInput,
        serialize,
        includeDisabled: true,
      });
      expect(paths.length).toBeGreaterThan(50);
      replayEdges(paths, {
        logic: sessionMachine,
        start(clock, inspect) {
          const actor = createActor(sessionMachine, {
            input: { ...machineInput, activity: { count: 0 } },
            clock,
            inspect,
          });
          const effects: SessionEmitted[] = [];
          actor.on('*', (command) => effects.push(command));
          return { actor: actor.start(), effects };
        },
        model: {
          modelOf,
          predict: (model, event) => predict(model, event, machineInput),
          label,
          eventName,
          serialize,
          finalPhase: 'closed',
        },
        taken,
        edges,
        prefix: `${name}: `,
      });
    });
  }

  it('took every transition of the machine', () => {
    expect(untaken(sessionMachine, taken)).toEqual([]);
  });

  it('key edges asked for the expected socket work', () => {
    const on = edgeLookup(edges, (replayed, key) => expect(replayed, `replayed ${key}`).toBe(true));
    const tick = 'after heartbeatInterval (session.open.heartbeat.watching)';
    const lifetime = 'after tokenLifetime (session.open.token.valid)';
    const grace = 'after tokenGrace (session.open.token.expired)';
    const closeTimeout = 'after closeTimeout (session.closing)';
    const open = (token: string, heartbeat: string, silent = 0) =>
      `open(token ${token}, heartbeat ${heartbeat}, ${silent} silent)`;
    // heartbeat: a silent tick pings, the SILENT_TICKS_LIMIT-th closes 1001
    expect(on(`heartbeat: ${open('unlimited', 'watching')} × ${tick}`)).toEqual([{ type: 'ping' }]);
    expect(on(`heartbeat: ${open('valid', 'watching', 1)} × ${tick}`)).toEqual([
      { type: 'close', code: 1001, reason: 'HEARTBEAT_TIMEOUT' },
    ]);
    // no heartbeat: no tick to fire
    expect(on(`no heartbeat: ${open('unlimited', 'off')} × ${tick}`)).toEqual([]);
    // token: expiry warns with the grace, the grace ends in a 1008 close, a refresh saves it
    expect(on(`no heartbeat: ${open('valid', 'off')} × ${lifetime}`)).toEqual([
      { type: 'tokenExpired', graceMs: 300 },
    ]);
    expect(on(`no heartbeat: ${open('expired', 'off')} × ${grace}`)).toEqual([
      { type: 'close', code: 1008, reason: 'TOKEN_EXPIRED' },
    ]);
    expect(on(`no heartbeat: ${open('expired', 'off')} × TOKEN_REFRESHED ttl -`)).toEqual([]);
    expect(on(`no heartbeat: ${open('unlimited', 'off')} × ${grace}`)).toEqual([]);
    // handshake and sign-in
    for (const [phase, timer] of [
      ['handshake', 'session.signingIn'],
      ['awaitingSignature', 'session.signingIn'],
      ['verifying', 'session.signingIn'],
    ]) {
      expect(on(`heartbeat: ${phase} × after handshakeTimeout (${timer})`)).toEqual([
        { type: 'close', code: 1008, reason: 'HANDSHAKE_TIMEOUT' },
      ]);
      expect(on(`heartbeat: ${phase} × CLOSE`)).toEqual([
        { type: 'close', code: 4000, reason: 'shutdown' },
      ]);
    }
    expect(on('heartbeat: verifying × AUTH_FAILED')).toEqual([
      { type: 'close', code: 1008, reason: 'UNAUTHORIZED' },
    ]);
    // closing: a peer that ignores the close is cut; a second CLOSE asks for nothing more
    expect(on(`heartbeat: closing × ${closeTimeout}`)).toEqual([{ type: 'terminate' }]);
    expect(on('heartbeat: closing × CLOSE')).toEqual([]);
    expect(on('heartbeat: closing × SOCKET_CLOSED')).toEqual([]);
    expect(on(`heartbeat: closed × ${closeTimeout}`)).toEqual([]);
  });
});

describe('session machine: timing the graph cannot see', () => {
  // Protocol §3: `welcome` within handshakeTimeoutMs of the upgrade; a hello just before the
  // deadline does not buy a second one (it did while `authenticating` had its own timer).
  it('closes a connection not signed in handshakeTimeoutMs after the upgrade', () => {
    const clock = new SimulatedClock();
    const actor = createActor(sessionMachine, { input: input(0), clock });
    const commands: SessionEmitted[] = [];
    actor.on('*', (command) => commands.push(command));
    actor.start();
    clock.increment(4999);
    actor.send({ type: 'HELLO', mode: 'token' });
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('closing');
    expect(commands).toEqual([{ type: 'close', code: 1008, reason: 'HANDSHAKE_TIMEOUT' }]);
  });
});
