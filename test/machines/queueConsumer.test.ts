import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import {
  type QueueConsumerEvent,
  queueConsumerMachine,
  queueConsumerStateName,
} from '../../src/machines/queueConsumer.js';
import { allTransitionKeys, edgePaths, transitionRecorder } from './graph.js';

const EVENTS: QueueConsumerEvent[] = [
  { type: 'ONLINE' },
  { type: 'OFFLINE' },
  { type: 'REGISTERED', queue: 'tmp.a' },
  { type: 'REGISTERED', queue: 'tmp.b' },
  { type: 'REJECTED', code: 'NOT_FOUND', message: 'gone' },
  { type: 'REJECTED', code: 'FORBIDDEN', message: 'no' },
  { type: 'CLOSE' },
  { type: 'FAIL', code: 'UNAUTHORIZED', message: 'gone' },
];

const serialize = (snapshot: any) =>
  JSON.stringify([snapshot.value, snapshot.context.queue, snapshot.context.error ?? null]);

function start(queue: string, inspect?: (event: any) => void) {
  const requests: string[] = [];
  const logic = queueConsumerMachine.provide({
    actions: {
      requestRegister: ({ context }) => requests.push(`qreg ${context.queue}`),
      requestUnregister: ({ context }) => requests.push(`qunreg ${context.queue}`),
    },
  });
  const actor = createActor(logic, { input: { queue }, inspect }).start();
  return { actor, requests, state: () => queueConsumerStateName(actor.getSnapshot()) };
}

describe('queue consumer machine', () => {
  it('replays every enabled edge from xstate/graph and takes every transition', () => {
    const taken = new Set<string>();
    // A temporary queue reaches the NOT_FOUND branch; a named one the plain refusal.
    for (const queue of ['', 'jobs']) {
      const paths = edgePaths(queueConsumerMachine, {
        events: EVENTS,
        input: { queue },
        serialize,
      });
      for (const path of paths) {
        const { actor } = start(queue, transitionRecorder(taken));
        for (const { event, expected } of path.steps) {
          actor.send(event);
          expect(serialize(actor.getSnapshot())).toBe(expected);
        }
      }
    }
    const missing = [...allTransitionKeys(queueConsumerMachine)].filter((key) => !taken.has(key));
    expect(missing).toEqual([]);
  });

  it('waits offline, registers when online, registers the same name again after a loss', () => {
    const { actor, requests, state } = start('jobs');
    expect(actor.getSnapshot().value).toEqual({ registering: 'waiting' });
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'REGISTERED', queue: 'jobs' });
    expect(state()).toBe('active');
    actor.send({ type: 'OFFLINE' });
    expect(state()).toBe('offline');
    actor.send({ type: 'ONLINE' });
    expect(state()).toBe('reregistering');
    actor.send({ type: 'REGISTERED', queue: 'jobs' });
    expect(state()).toBe('active');
    expect(requests).toEqual(['qreg jobs', 'qreg jobs']);
  });

  it('a temporary queue keeps its server name, and asks for a new one when it is gone', () => {
    const { actor, requests, state } = start('');
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'REGISTERED', queue: 'tmp.a' });
    actor.send({ type: 'OFFLINE' });
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'REJECTED', code: 'NOT_FOUND', message: 'grace over' });
    expect(state()).toBe('reregistering');
    actor.send({ type: 'REGISTERED', queue: 'tmp.b' });
    expect(state()).toBe('active');
    expect(actor.getSnapshot().context).toEqual({ queue: 'tmp.b', temporary: true });
    expect(requests).toEqual(['qreg ', 'qreg tmp.a', 'qreg ']);
  });

  it('a named queue refused on re-registration fails with the error kept', () => {
    const { actor, state } = start('jobs');
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'REGISTERED', queue: 'jobs' });
    actor.send({ type: 'OFFLINE' });
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'REJECTED', code: 'NOT_FOUND', message: 'no such queue' });
    expect(state()).toBe('failed');
    expect(actor.getSnapshot().context.error).toEqual({
      code: 'NOT_FOUND',
      message: 'no such queue',
    });
  });

  it('unregisters with qunreg only while the server holds the consumer', () => {
    const offline = start('jobs');
    offline.actor.send({ type: 'ONLINE' });
    offline.actor.send({ type: 'REGISTERED', queue: 'jobs' });
    offline.actor.send({ type: 'OFFLINE' });
    offline.actor.send({ type: 'CLOSE' });
    expect(offline.state()).toBe('unregistered');
    expect(offline.requests).toEqual(['qreg jobs']);

    const active = start('jobs');
    active.actor.send({ type: 'ONLINE' });
    active.actor.send({ type: 'REGISTERED', queue: 'jobs' });
    active.actor.send({ type: 'CLOSE' });
    expect(active.requests).toEqual(['qreg jobs', 'qunreg jobs']);
    expect(active.actor.getSnapshot().status).toBe('done');
  });
});
