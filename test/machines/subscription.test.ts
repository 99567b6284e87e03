import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import {
  type SubscriptionEvent,
  subscriptionMachine,
  subscriptionStateName,
} from '../../src/machines/subscription.js';
import { allTransitionKeys, edgePaths, transitionRecorder } from './graph.js';

const EVENTS: SubscriptionEvent[] = [
  { type: 'ONLINE' },
  { type: 'OFFLINE' },
  { type: 'SUBSCRIBED' },
  { type: 'REJECTED', code: 'FORBIDDEN', message: 'no' },
  { type: 'CLOSE' },
  { type: 'FAIL', code: 'UNAUTHORIZED', message: 'gone' },
];

const serialize = (snapshot: any) =>
  JSON.stringify([snapshot.value, snapshot.context.error ?? null]);

function start(inspect?: (event: any) => void) {
  const requests: string[] = [];
  const logic = subscriptionMachine.provide({
    actions: {
      requestSubscribe: ({ context }) => requests.push(`sub ${context.room}`),
      requestUnsubscribe: ({ context }) => requests.push(`unsub ${context.room}`),
    },
  });
  const actor = createActor(logic, { input: { room: 'r' }, inspect }).start();
  return { actor, requests, state: () => subscriptionStateName(actor.getSnapshot().value) };
}

describe('subscription machine', () => {
  it('replays every enabled edge from xstate/graph and takes every transition', () => {
    const taken = new Set<string>();
    const paths = edgePaths(subscriptionMachine, {
      events: EVENTS,
      input: { room: 'r' },
      serialize,
    });
    for (const path of paths) {
      const { actor } = start(transitionRecorder(taken));
      for (const { event, expected } of path.steps) {
        actor.send(event);
        expect(serialize(actor.getSnapshot())).toBe(expected);
      }
    }
    const missing = [...allTransitionKeys(subscriptionMachine)].filter((key) => !taken.has(key));
    expect(missing).toEqual([]);
  });

  it('waits offline, subscribes when online, resubscribes after a loss', () => {
    const { actor, requests, state } = start();
    expect(actor.getSnapshot().value).toEqual({ subscribing: 'waiting' });
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'SUBSCRIBED' });
    expect(state()).toBe('subscribed');
    actor.send({ type: 'OFFLINE' });
    expect(state()).toBe('subscribing');
    actor.send({ type: 'ONLINE' });
    expect(requests).toEqual(['sub r', 'sub r']);
  });

  it('closing sends unsub only when the server knows the subscription', () => {
    const waiting = start();
    waiting.actor.send({ type: 'CLOSE' });
    expect(waiting.state()).toBe('unsubscribed');
    expect(waiting.requests).toEqual([]);

    const subscribed = start();
    subscribed.actor.send({ type: 'ONLINE' });
    subscribed.actor.send({ type: 'SUBSCRIBED' });
    subscribed.actor.send({ type: 'CLOSE' });
    expect(subscribed.requests).toEqual(['sub r', 'unsub r']);
    expect(subscribed.actor.getSnapshot().status).toBe('done');
  });

  it('a refusal fails with the error kept in context', () => {
    const { actor, state } = start();
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'REJECTED', code: 'FORBIDDEN', message: 'not yours' });
    expect(state()).toBe('failed');
    expect(actor.getSnapshot().context.error).toEqual({ code: 'FORBIDDEN', message: 'not yours' });
  });
});
