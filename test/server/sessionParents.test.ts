import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, setup } from 'xstate';
import { SessionParents } from '../../src/server/sessionParents.js';

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
