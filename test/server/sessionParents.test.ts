import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, type InspectionEvent, SimulatedClock, setup } from 'xstate';
import { SESSION_COMMANDS } from '../../src/machines/serverSession.js';
import { SessionParents } from '../../src/server/sessionParents.js';
import { closeServers, signIn, simulatedTime, startServer } from './helpers.js';

const failing = setup({
  actions: {
    boom: () => {
      throw new Error('boom');
    },
  },
}).createMachine({ on: { GO: { actions: 'boom' } } });

function parents() {
  const errors: Array<[string, string]> = [];
  const clock = new SimulatedClock();
  const pool = new SessionParents({
    clock,
    inspect: undefined,
    onError: (error, where) => errors.push([(error as Error).message, where]),
  });
  return { pool, errors, clock };
}

describe('SessionParents', () => {
  it('reports a session actor that failed, through its parent', () => {
    const { pool, errors } = parents();
    const actor = createActor(failing, { parent: pool.next() }).start();
    actor.send({ type: 'GO' });
    expect(actor.getSnapshot().status).toBe('error');
    expect(errors).toEqual([['boom', 'session']]);
  });

  it("has the failed session's connection, and only that one, close its socket", () => {
    const { pool } = parents();
    const failed: string[] = [];
    const target = (name: string) => ({
      perform: () => {},
      sessionFailed: () => failed.push(name),
    });
    const healthy = createActor(failing, { parent: pool.next() });
    const broken = createActor(failing, { parent: pool.next() });
    pool.register(healthy, target('healthy'));
    pool.register(broken, target('broken'));
    healthy.start();
    broken.start().send({ type: 'GO' });
    expect(failed).toEqual(['broken']);
  });

  it('puts 64 sessions on one system, and its clock drives their delays', () => {
    const { pool, clock } = parents();
    const first = pool.next();
    const sharing = Array.from({ length: 63 }, () => pool.next());
    expect(sharing.every((parent) => parent === first)).toBe(true);
    expect(pool.next()).not.toBe(first);
    const delayed = setup({}).createMachine({
      initial: 'waiting',
      states: { waiting: { after: { 1000: 'done' } }, done: { type: 'final' } },
    });
    const actor = createActor(delayed, { parent: first }).start();
    expect(actor.system).toBe(first.system);
    clock.increment(1000);
    expect(actor.getSnapshot().status).toBe('done');
  });
});

describe('a session actor that fails', () => {
  afterEach(async () => {
    vi.restoreAllMocks();
    await closeServers();
  });

  it('closes the socket 1011 when its session actor fails, and reports the failure', async () => {
    const errors: string[] = [];
    const time = simulatedTime();
    const server = await startServer({
      ...time,
      heartbeatMs: 1000,
      onError: (error, where) => errors.push(`${where}: ${(error as Error).message}`),
    });
    const client = await signIn(server.url, 'alice');
    vi.spyOn(SESSION_COMMANDS, 'emitPing').mockImplementation(() => {
      throw new Error('ping builder broke');
    });
    time.clock.increment(1000);
    expect(await client.closed).toEqual({ code: 1011, reason: 'INTERNAL' });
    expect(errors).toEqual(['session: ping builder broke']);
  });
});

describe('server inspect option', () => {
  afterEach(closeServers);
  it('sees every session actor, through the systems they share', async () => {
    const snapshots = new Map<string, string[]>();
    const server = await startServer({
      inspect: {
        next: (event) => {
          const e = event as InspectionEvent;
          if (e.type !== '@xstate.snapshot' || e.actorRef.sessionId === e.rootId) return;
          const status = (e.snapshot as { status?: string }).status ?? '';
          snapshots.set(e.actorRef.sessionId, [
            ...(snapshots.get(e.actorRef.sessionId) ?? []),
            status,
          ]);
        },
      },
    });
    const clients = await Promise.all(['a', 'b', 'c'].map((uid) => signIn(server.url, uid)));
    expect(snapshots.size).toBe(3);
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
    for (const statuses of snapshots.values()) expect(statuses.at(-1)).toBe('done');
  });
});
