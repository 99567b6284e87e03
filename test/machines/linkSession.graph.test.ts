import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import {
  LINK_SILENT_TICKS_LIMIT,
  type LinkSessionEvent,
  type LinkSessionInput,
  linkSessionMachine,
} from '../../src/machines/linkSession.js';
import {
  afterEvent,
  allTransitionKeys,
  edgeLookup,
  edgePaths,
  replayEdges,
  untaken,
} from './graph.js';

/* The bound side's per-peer machine, edge by edge: xstate/graph enumerates every (state, event)
 * pair, each is replayed on a real actor over a SimulatedClock (timers fire by advancing the
 * clock) with the socket actions provided as recorders, and every step is checked against the
 * graph (where the actor is), an independent reference model of protocol §17 (where it should
 * be) and that model's socket calls (welcome, error, bye, close, cut). The `activity` counter
 * stays put, so every heartbeat tick is silent; test/link/linkSession.test.ts covers a peer
 * that talks. */

const INPUT: LinkSessionInput = {
  handshakeTimeoutMs: 5000,
  heartbeatMs: 1000,
  activity: { count: 0 },
};

const EVENTS: LinkSessionEvent[] = [
  { type: 'HELLO' },
  { type: 'REFUSE', code: 1002, reason: 'BAD_REQUEST', message: 'binary frames are not supported' },
  { type: 'REFUSE', code: 1008, reason: 'BAD_REQUEST', message: 'frame before hello' },
  { type: 'CLOSE' },
  { type: 'SOCKET_CLOSED' },
  ...[...allTransitionKeys(linkSessionMachine)]
    .map((key) => /"(xstate\.after\.[^"]+)"/.exec(key)?.[1])
    .filter((type): type is string => type !== undefined)
    .map((type) => ({ type }) as unknown as LinkSessionEvent),
];

/** The machine with its socket work recorded, one string a call. */
function recording(calls: string[]) {
  return linkSessionMachine.provide({
    actions: {
      welcome: () => calls.push('welcome'),
      sendError: (_, { message }) => calls.push(`error ${message}`),
      sayBye: () => calls.push('bye'),
      closeSocket: (_, { code, reason }) => calls.push(`close ${code} ${reason}`),
      cut: () => calls.push('cut'),
    },
  });
}

/* ---- the reference model ---- */

interface Model {
  phase: 'awaitingHello' | 'signedIn' | 'closing' | 'closed';
  silentTicks: number;
}

function modelOf(snapshot: any): Model {
  const value = snapshot.value;
  const phase = typeof value === 'string' ? value : value.open;
  return { phase, silentTicks: snapshot.context.silentTicks };
}

const label = (m: Model) =>
  m.phase === 'signedIn' ? `signedIn(${m.silentTicks} silent)` : m.phase;

function eventName(event: LinkSessionEvent): string {
  const after = afterEvent(event.type);
  if (after) return `after ${after.delay} (${after.stateId})`;
  return event.type === 'REFUSE' ? `REFUSE ${event.code}` : event.type;
}

/** Next state and socket calls, by protocol §17. */
function predict(m: Model, event: LinkSessionEvent): { next: Model; effects: string[] } {
  const timer = afterEvent(event.type)?.stateId;
  const stay = { next: m, effects: [] };
  const closing = (...effects: string[]) => ({
    next: { ...m, phase: 'closing' as const },
    effects,
  });
  if (m.phase === 'closed') return stay; // final: the actor is done
  if (event.type === 'SOCKET_CLOSED') return { next: { ...m, phase: 'closed' }, effects: [] };
  if (m.phase === 'closing') return stay; // the socket is going: nothing more is sent
  if (event.type === 'REFUSE') {
    return closing(`error ${event.message}`, `close ${event.code} ${event.reason}`);
  }
  if (event.type === 'CLOSE') return closing('bye', 'close 1000 LINK_CLOSED');
  if (m.phase === 'awaitingHello') {
    if (event.type === 'HELLO') return { next: { ...m, phase: 'signedIn' }, effects: ['welcome'] };
    if (timer === 'linkSession.open.awaitingHello') return closing('close 1008 HANDSHAKE_TIMEOUT');
    return stay;
  }
  // signedIn: a second hello is the data path's business, not the lifecycle's
  if (timer === 'linkSession.open.signedIn') {
    if (m.silentTicks + 1 >= LINK_SILENT_TICKS_LIMIT) return closing('cut');
    return { next: { ...m, silentTicks: m.silentTicks + 1 }, effects: [] };
  }
  return stay;
}

/* ---- the replay ---- */

const serialize = (snapshot: any) =>
  JSON.stringify([snapshot.value, snapshot.status, snapshot.context.silentTicks]);

describe('linkSession machine: every edge, replayed from xstate/graph paths', () => {
  const taken = new Set<string>();
  /** `state × event` → the socket calls the actor made on that edge. */
  const edges = new Map<string, string[]>();

  it('replays every edge', () => {
    const paths = edgePaths(recording([]), {
      events: EVENTS,
      input: INPUT,
      serialize,
      includeDisabled: true,
    });
    expect(paths.length).toBeGreaterThan(10);
    replayEdges(paths, {
      logic: recording([]),
      start(clock, inspect) {
        const effects: string[] = [];
        const actor = createActor(recording(effects), {
          input: { ...INPUT, activity: { count: 0 } },
          clock,
          inspect,
        });
        return { actor: actor.start(), effects };
      },
      model: { modelOf, predict, label, eventName, serialize, finalPhase: 'closed' },
      taken,
      edges,
    });
  });

  it('took every transition of the machine', () => {
    expect(untaken(linkSessionMachine, taken)).toEqual([]);
  });

  it('key edges asked for the expected socket work', () => {
    const on = edgeLookup(edges, (replayed, key) => expect(replayed, `replayed ${key}`).toBe(true));
    const handshake = 'after handshakeTimeout (linkSession.open.awaitingHello)';
    const tick = 'after heartbeatInterval (linkSession.open.signedIn)';
    expect(on('awaitingHello × HELLO')).toEqual(['welcome']);
    expect(on(`awaitingHello × ${handshake}`)).toEqual(['close 1008 HANDSHAKE_TIMEOUT']);
    expect(on(`awaitingHello × ${tick}`)).toEqual([]);
    expect(on('awaitingHello × REFUSE 1008')).toEqual([
      'error frame before hello',
      'close 1008 BAD_REQUEST',
    ]);
    // heartbeat: one silent tick is tolerated, the second cuts without a close handshake
    expect(on(`signedIn(0 silent) × ${tick}`)).toEqual([]);
    expect(on(`signedIn(1 silent) × ${tick}`)).toEqual(['cut']);
    expect(on(`signedIn(0 silent) × ${handshake}`)).toEqual([]);
    expect(on('signedIn(1 silent) × REFUSE 1002')).toEqual([
      'error binary frames are not supported',
      'close 1002 BAD_REQUEST',
    ]);
    expect(on('signedIn(0 silent) × CLOSE')).toEqual(['bye', 'close 1000 LINK_CLOSED']);
    // closing waits for the socket: nothing more is sent, whatever comes
    for (const event of ['CLOSE', 'REFUSE 1002', 'HELLO', tick, 'SOCKET_CLOSED']) {
      expect(on(`closing × ${event}`)).toEqual([]);
    }
  });
});
