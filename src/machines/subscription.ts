import { assign, setup } from 'xstate';
import type { ErrorCode } from '../errors/codes.js';
import { type ErrorParams, errorParams } from './eventParams.js';
import { publicStateName, type Tagged } from './stateNames.js';

/** Nothing per room: the room is the actor's id, so every subscription starts from one snapshot. */
export interface SubscriptionContext {
  error?: { code: ErrorCode; message: string };
  /** Refusals in a row that are worth retrying (the server was unavailable). */
  retries: number;
}

/** Refusals a later attempt may not get: the server (or its engine) was busy or away. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'TIMEOUT']);
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 20_000;

/** Backoff before resubscribe attempt `retries` (≥ 1): in [ceiling/2, ceiling). */
export function resubscribeDelay(retries: number, random: () => number): number {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.max(0, retries - 1));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}

export type SubscriptionEvent =
  /** The client signed in: (re)subscribe. */
  | { type: 'ONLINE' }
  /** The socket is gone: wait for the next sign-in. */
  | { type: 'OFFLINE' }
  | { type: 'SUBSCRIBED' }
  | { type: 'REJECTED'; code: ErrorCode; message: string }
  /** The last handle closed. */
  | { type: 'CLOSE' }
  /** The client stopped for good (reconnect gave up, auth refused). */
  | { type: 'FAIL'; code: ErrorCode; message: string };

/** Public state of a subscription (the `waiting`/`requesting` sub-states fold into `subscribing`). */
export type SubscriptionState = 'subscribing' | 'subscribed' | 'unsubscribed' | 'failed';

const SUBSCRIPTION_STATES: readonly SubscriptionState[] = [
  'subscribing',
  'subscribed',
  'unsubscribed',
  'failed',
];

/** Snapshots are immutable, and thousands of subscriptions share the same few. */
const stateNames = new WeakMap<Tagged, SubscriptionState>();

export function subscriptionStateName(snapshot: Tagged): SubscriptionState {
  let name = stateNames.get(snapshot);
  if (name === undefined) {
    name = publicStateName(snapshot, SUBSCRIPTION_STATES, 'subscribing');
    stateNames.set(snapshot, name);
  }
  return name;
}

/** The actions the client provides: the only effects of a subscription. */
export type SubscriptionEffect = 'requestSubscribe' | 'requestUnsubscribe';

/**
 * One room subscription (the actor's id is the room). It only tracks the lifecycle; messages
 * never pass through it (the client's router delivers them). The `sub`/`unsub` frames are sent
 * by actions the client provides, which also attach the `since` position that makes a
 * resubscribe recover.
 */
export const subscriptionMachine = setup({
  types: {
    context: {} as SubscriptionContext,
    events: {} as SubscriptionEvent,
  },
  actions: {
    /** Provided by the client: sends `sub {room, since?}`. */
    requestSubscribe: () => undefined,
    /** Provided by the client: sends `unsub {room}`. */
    requestUnsubscribe: () => undefined,
    countRetry: assign({ retries: ({ context }) => context.retries + 1 }),
    resetRetries: assign({ retries: 0 }),
    recordError: assign((_, error: ErrorParams) => ({ error })),
  },
  guards: {
    isRetryable: (_, { code }: ErrorParams) => RETRYABLE.has(code),
  },
  delays: {
    /**
     * Exponential backoff between resubscribe attempts after a retryable refusal, with equal
     * jitter (half fixed, half random) so the rooms of many clients do not ask in lockstep.
     */
    resubscribeDelay: ({ context }) => resubscribeDelay(context.retries, Math.random),
  },
}).createMachine({
  id: 'subscription',
  context: { retries: 0 },
  initial: 'subscribing',
  states: {
    subscribing: {
      tags: ['subscribing'],
      initial: 'waiting',
      on: {
        CLOSE: 'unsubscribed',
        FAIL: { target: 'failed', actions: { type: 'recordError', params: errorParams } },
      },
      states: {
        /** Offline: nothing sent yet. */
        waiting: {
          on: { ONLINE: 'requesting' },
        },
        requesting: {
          entry: 'requestSubscribe',
          on: {
            OFFLINE: 'waiting',
            SUBSCRIBED: { target: '#subscription.subscribed', actions: 'resetRetries' },
            REJECTED: [
              {
                guard: { type: 'isRetryable', params: errorParams },
                target: 'retrying',
                actions: [{ type: 'recordError', params: errorParams }, 'countRetry'],
              },
              {
                target: '#subscription.failed',
                actions: { type: 'recordError', params: errorParams },
              },
            ],
            CLOSE: { target: '#subscription.unsubscribed', actions: 'requestUnsubscribe' },
          },
        },
        /** Refused for now (UNAVAILABLE…): asks again after a backoff, as long as online. */
        retrying: {
          after: { resubscribeDelay: 'requesting' },
          on: { OFFLINE: 'waiting' },
        },
      },
    },
    subscribed: {
      tags: ['subscribed'],
      on: {
        OFFLINE: 'subscribing',
        CLOSE: { target: 'unsubscribed', actions: 'requestUnsubscribe' },
        FAIL: { target: 'failed', actions: { type: 'recordError', params: errorParams } },
      },
    },
    unsubscribed: { type: 'final', tags: ['unsubscribed'] },
    failed: { type: 'final', tags: ['failed'] },
  },
});

export type SubscriptionMachine = typeof subscriptionMachine;

/**
 * Parent (and shared actor system: clock, inspection) of every subscription actor of a client.
 * Subscriptions are created with `createActor(logic, {parent})` instead of `spawnChild`, which
 * copies the parent's children map on every spawn (O(N²): 10k subscriptions ≈ 17 s).
 */
export const subscriptionsMachine = setup({}).createMachine({
  id: 'subscriptions',
  // A subscription actor that fails must not take the registry (and its siblings) down.
  on: { 'xstate.error.actor.*': {} },
});
