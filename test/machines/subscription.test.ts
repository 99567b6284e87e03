import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  resubscribeDelay,
  type SubscriptionEvent,
  subscriptionMachine,
  subscriptionStateName,
} from '../../src/machines/subscription.js';
import { afterEvent, allTransitionKeys, edgePaths, isActive, transitionRecorder } from './graph.js';

const EVENTS: SubscriptionEvent[] = [
  { type: 'ONLINE' },
  { type: 'OFFLINE' },
  { type: 'SUBSCRIBED' },
  { type: 'REJECTED', code: 'FORBIDDEN', message: 'no' },
  { type: 'REJECTED', code: 'UNAVAILABLE', message: 'later' },
  { type: 'CLOSE' },
  { type: 'FAIL', code: 'UNAUTHORIZED', message: 'gone' },
  { type: 'xstate.after.resubscribeDelay.subscription.subscribing.retrying' } as never,
];

const serialize = (snapshot: any) =>
  JSON.stringify([snapshot.value, snapshot.context.error ?? null]);

function start(inspect?: (event: any) => void) {
  const requests: string[] = [];
  const logic = subscriptionMachine.provide({
    actions: {
      requestSubscribe: ({ self }) => requests.push(`sub ${self.id}`),
      requestUnsubscribe: ({ self }) => requests.push(`unsub ${self.id}`),
    },
    // The jitter drawn halfway: 3/4 of each backoff ceiling.
    delays: { resubscribeDelay: ({ context }) => resubscribeDelay(context.retries, () => 0.5) },
  });
  const clock = new SimulatedClock();
  const actor = createActor(logic, { id: 'r', inspect, clock }).start();
  return {
    actor,
    clock,
    requests,
    state: () => subscriptionStateName(actor.getSnapshot()),
  };
}

describe('subscription machine', () => {
  it('replays every enabled edge from xstate/graph and takes every transition', () => {
    const taken = new Set<string>();
    const paths = edgePaths(subscriptionMachine, {
      events: EVENTS,
      serialize,
    });
    for (const path of paths) {
      const { actor, clock } = start(transitionRecorder(taken));
      for (const { event, expected } of path.steps) {
        const after = afterEvent(event.type);
        if (!after) actor.send(event);
        else if (isActive(actor.getSnapshot(), after.stateId)) clock.increment(20_000);
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

  it('a refusal worth retrying (UNAVAILABLE) asks again with a growing backoff', () => {
    const { actor, clock, requests, state } = start();
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'REJECTED', code: 'UNAVAILABLE', message: 'redis away' });
    expect(actor.getSnapshot().value).toEqual({ subscribing: 'retrying' });
    clock.increment(374);
    expect(requests).toEqual(['sub r']);
    clock.increment(1);
    expect(requests).toEqual(['sub r', 'sub r']);
    actor.send({ type: 'REJECTED', code: 'UNAVAILABLE', message: 'still away' });
    clock.increment(749);
    expect(requests).toHaveLength(2);
    clock.increment(1);
    expect(requests).toHaveLength(3);
    actor.send({ type: 'SUBSCRIBED' });
    expect(state()).toBe('subscribed');
    expect(actor.getSnapshot().context.retries).toBe(0);
    actor.send({ type: 'OFFLINE' });
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'REJECTED', code: 'RATE_LIMITED', message: 'slow down' });
    actor.send({ type: 'OFFLINE' });
    clock.increment(20_000);
    expect(actor.getSnapshot().value).toEqual({ subscribing: 'waiting' });
    expect(requests).toHaveLength(4);
  });

  it('the resubscribe backoff doubles up to 20 s with equal jitter (half fixed, half random)', () => {
    const bounds = (retries: number) => [
      resubscribeDelay(retries, () => 0),
      resubscribeDelay(retries, () => 0.999_999),
    ];
    expect(bounds(1)).toEqual([250, 499]);
    expect(bounds(2)).toEqual([500, 999]);
    expect(bounds(7)).toEqual([10_000, 19_999]);
    expect(bounds(30)).toEqual([10_000, 19_999]);
  });

  it('a refusal fails with the error kept in context', () => {
    const { actor, state } = start();
    actor.send({ type: 'ONLINE' });
    actor.send({ type: 'REJECTED', code: 'FORBIDDEN', message: 'not yours' });
    expect(state()).toBe('failed');
    expect(actor.getSnapshot().context.error).toEqual({ code: 'FORBIDDEN', message: 'not yours' });
  });
});
