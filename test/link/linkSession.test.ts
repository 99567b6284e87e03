import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { linkSessionMachine } from '../../src/machines/linkSession.js';
import { SimulatedClock } from '../../src/testing/index.js';

/* The bound side's per-peer lifecycle, driven by a SimulatedClock; socket work is recorded. */

function start(options: { handshakeTimeoutMs?: number; heartbeatMs?: number } = {}) {
  const clock = new SimulatedClock();
  const calls: string[] = [];
  const activity = { count: 0 };
  const logic = linkSessionMachine.provide({
    actions: {
      welcome: () => calls.push('welcome'),
      sendError: (_, { message }) => calls.push(`error ${message}`),
      sayBye: () => calls.push('bye'),
      closeSocket: (_, { code, reason }) => calls.push(`close ${code} ${reason}`),
      cut: () => calls.push('cut'),
    },
  });
  const actor = createActor(logic, {
    clock,
    input: {
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5000,
      heartbeatMs: options.heartbeatMs ?? 1000,
      activity,
    },
  }).start();
  return { clock, calls, activity, actor };
}

describe('linkSession machine', () => {
  it('closes 1008 HANDSHAKE_TIMEOUT when no hello comes within the timeout', () => {
    const { clock, calls, actor } = start();
    clock.increment(4999);
    expect(calls).toEqual([]);
    clock.increment(1);
    expect(calls).toEqual(['close 1008 HANDSHAKE_TIMEOUT']);
    expect(actor.getSnapshot().value).toBe('closing');
    actor.send({ type: 'SOCKET_CLOSED' });
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('welcomes a hello; the handshake timeout no longer applies', () => {
    const { clock, calls, activity, actor } = start({ heartbeatMs: 10_000 });
    activity.count++;
    actor.send({ type: 'HELLO' });
    expect(calls).toEqual(['welcome']);
    clock.increment(5000);
    expect(calls).toEqual(['welcome']);
    expect(actor.getSnapshot().matches({ open: 'signedIn' })).toBe(true);
  });

  it('keeps a peer that sends something every interval, cuts it after two silent ticks', () => {
    const { clock, calls, activity, actor } = start();
    activity.count++; // the hello frame
    actor.send({ type: 'HELLO' });
    for (let tick = 0; tick < 10; tick++) {
      clock.increment(999);
      activity.count++; // a ping
      clock.increment(1);
    }
    expect(calls).toEqual(['welcome']);
    clock.increment(1000); // first silent tick
    expect(calls).toEqual(['welcome']);
    clock.increment(1000); // second silent tick
    expect(calls).toEqual(['welcome', 'cut']);
    expect(actor.getSnapshot().value).toBe('closing');
  });

  it('refuses a protocol break with an error and the given close code, in either state', () => {
    const early = start();
    early.actor.send({
      type: 'REFUSE',
      code: 1008,
      reason: 'BAD_REQUEST',
      message: 'frame before hello',
    });
    expect(early.calls).toEqual(['error frame before hello', 'close 1008 BAD_REQUEST']);

    const late = start();
    late.actor.send({ type: 'HELLO' });
    late.actor.send({ type: 'REFUSE', code: 1002, reason: 'BAD_REQUEST', message: 'binary' });
    expect(late.calls).toEqual(['welcome', 'error binary', 'close 1002 BAD_REQUEST']);
    late.actor.send({ type: 'CLOSE' });
    late.clock.increment(10_000);
    expect(late.calls).toHaveLength(3);
  });

  it('CLOSE says bye and closes 1000 LINK_CLOSED; a closed socket ends it from any state', () => {
    const { calls, actor } = start();
    actor.send({ type: 'HELLO' });
    actor.send({ type: 'CLOSE' });
    expect(calls).toEqual(['welcome', 'bye', 'close 1000 LINK_CLOSED']);

    const gone = start();
    gone.actor.send({ type: 'SOCKET_CLOSED' });
    expect(gone.actor.getSnapshot().status).toBe('done');
    gone.clock.increment(10_000);
    expect(gone.calls).toEqual([]);
  });
});
