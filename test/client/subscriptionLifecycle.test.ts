import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { SharedSteps } from '../../src/client/sharedSteps.js';
import { SubscriptionLifecycle } from '../../src/client/subscriptionLifecycle.js';
import {
  resubscribeDelay,
  type SubscriptionEffect,
  type SubscriptionEvent,
  subscriptionMachine,
  subscriptionsMachine,
} from '../../src/machines/subscription.js';

type Move = SubscriptionEvent | 'tick';

const MOVES: Move[] = [
  { type: 'ONLINE' },
  { type: 'OFFLINE' },
  { type: 'SUBSCRIBED' },
  { type: 'REJECTED', code: 'UNAVAILABLE', message: 'later' },
  { type: 'REJECTED', code: 'FORBIDDEN', message: 'no' },
  { type: 'CLOSE' },
  { type: 'FAIL', code: 'UNAUTHORIZED', message: 'gone' },
  'tick',
];

/** A lifecycle on its own system (SimulatedClock), recording the effects it performs. */
function lifecycle(eager: boolean, onEffect: (effect: string) => void = () => undefined) {
  const clock = new SimulatedClock();
  const parent = createActor(subscriptionsMachine, { clock }).start();
  const effects: string[] = [];
  const effect = (type: SubscriptionEffect) => (room: string) => {
    effects.push(`${type} ${room}`);
    onEffect(type);
  };
  const host = {
    logic: subscriptionMachine.provide({
      actions: {
        requestSubscribe: ({ self }) => effect('requestSubscribe')(self.id),
        requestUnsubscribe: ({ self }) => effect('requestUnsubscribe')(self.id),
      },
      delays: { resubscribeDelay: ({ context }) => resubscribeDelay(context.retries, () => 0.5) },
    }),
    parent,
    effects: {
      requestSubscribe: effect('requestSubscribe'),
      requestUnsubscribe: effect('requestUnsubscribe'),
    },
    eager,
  };
  const subject = new SubscriptionLifecycle('r', host);
  return {
    subject,
    effects,
    move(move: Move) {
      if (move === 'tick') clock.increment(20_000);
      else subject.send(move);
    },
    /** What an observer can tell apart. */
    seen: () => {
      const { value, context, status } = subject.getSnapshot();
      return JSON.stringify({ value, context, status, effects });
    },
  };
}

function* sequences(length: number): Generator<Move[]> {
  if (length === 0) {
    yield [];
    return;
  }
  for (const rest of sequences(length - 1)) for (const move of MOVES) yield [...rest, move];
}

describe('subscription lifecycle (shared steps until an actor is needed)', () => {
  it('every sequence of 4 events and timer ticks looks the same as on an actor of its own', () => {
    let compared = 0;
    for (const sequence of sequences(4)) {
      const lazy = lifecycle(false);
      const actor = lifecycle(true);
      for (const move of sequence) {
        // A final state takes no more events (the client forgets the subscription).
        if (actor.subject.getSnapshot().status !== 'active') break;
        lazy.move(move);
        actor.move(move);
        expect(lazy.seen(), JSON.stringify(sequence)).toBe(actor.seen());
      }
      compared++;
    }
    expect(compared).toBe(MOVES.length ** 4);
  });

  it('walks subscribe, loss and close without an actor, and makes one when asked', () => {
    const { subject, effects, move } = lifecycle(false);
    for (const event of ['ONLINE', 'SUBSCRIBED', 'OFFLINE', 'ONLINE', 'SUBSCRIBED'] as const) {
      move({ type: event });
    }
    expect(effects).toEqual(['requestSubscribe r', 'requestSubscribe r']);
    const actor = subject.actor();
    expect(actor.id).toBe('r');
    expect(actor.getSnapshot().value).toBe('subscribed');
    expect(subject.actor()).toBe(actor);
    move({ type: 'CLOSE' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(effects).toEqual(['requestSubscribe r', 'requestSubscribe r', 'requestUnsubscribe r']);
  });

  it('an event sent by an effect waits for the step in progress, as in a mailbox', () => {
    const order: string[] = [];
    const { subject } = lifecycle(false, () => {
      subject.send({ type: 'SUBSCRIBED' });
      order.push(`after the effect: ${JSON.stringify(subject.getSnapshot().value)}`);
    });
    subject.send({ type: 'ONLINE' });
    expect(order).toEqual(['after the effect: {"subscribing":"requesting"}']);
    expect(subject.getSnapshot().value).toBe('subscribed');
  });
});

describe('SharedSteps', () => {
  const effects = new Set<SubscriptionEffect>(['requestSubscribe', 'requestUnsubscribe']);

  it('goes round a cycle on the same snapshots (no step is added per cycle)', () => {
    const steps = new SharedSteps(subscriptionMachine, effects);
    const online = steps.next(steps.initial, { type: 'ONLINE' })!;
    expect(online.effects).toEqual(['requestSubscribe']);
    const waiting = steps.next(online.snapshot, { type: 'OFFLINE' })!.snapshot;
    expect(waiting).toBe(steps.initial);
    const subscribed = steps.next(online.snapshot, { type: 'SUBSCRIBED' })!.snapshot;
    const lost = steps.next(subscribed, { type: 'OFFLINE' })!.snapshot;
    expect(steps.next(lost, { type: 'ONLINE' })!.snapshot).toBe(online.snapshot);
  });

  it('leaves events with data and steps with actions it does not perform to an actor', () => {
    const steps = new SharedSteps(subscriptionMachine, effects);
    const requesting = steps.next(steps.initial, { type: 'ONLINE' })!.snapshot;
    expect(steps.next(requesting, { type: 'FAIL', code: 'UNAUTHORIZED', message: 'x' })).toBe(
      undefined,
    );
    const onlySubscribe = new SharedSteps(subscriptionMachine, new Set(['requestUnsubscribe']));
    expect(onlySubscribe.next(onlySubscribe.initial, { type: 'ONLINE' })).toBe(undefined);
  });
});
