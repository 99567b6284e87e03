import { assign, setup } from 'xstate';
import type { ErrorCode } from '../errors/codes.js';
import { type ErrorParams, errorParams } from './eventParams.js';
import { publicStateName, type Tagged } from './stateNames.js';

export interface QueueConsumerInput {
  /** The queue to consume; '' asks the server for a temporary queue. */
  queue: string;
}

export interface QueueConsumerContext {
  /** The queue's name; '' for a temporary queue the server has not named yet. */
  queue: string;
  /** Named by the server: it may vanish (grace period) and be replaced by a new one. */
  temporary: boolean;
  error?: { code: ErrorCode; message: string };
}

export type QueueConsumerEvent =
  /** The client signed in: (re)register. */
  | { type: 'ONLINE' }
  /** The socket is gone: the server detached the consumer; wait for the next sign-in. */
  | { type: 'OFFLINE' }
  /** `qreg` answered with the queue's name. */
  | { type: 'REGISTERED'; queue: string }
  | { type: 'REJECTED'; code: ErrorCode; message: string }
  /** `unregisterQueue`. */
  | { type: 'CLOSE' }
  /** The client stopped for good (disconnect, reconnect gave up, auth refused). */
  | { type: 'FAIL'; code: ErrorCode; message: string };

/** Public state of a consumer (`registering.waiting`/`registering.requesting` fold into `registering`). */
export type QueueConsumerState =
  | 'registering'
  | 'active'
  | 'offline'
  | 'reregistering'
  | 'unregistered'
  | 'failed';

const QUEUE_CONSUMER_STATES: readonly QueueConsumerState[] = [
  'registering',
  'active',
  'offline',
  'reregistering',
  'unregistered',
  'failed',
];

export function queueConsumerStateName(snapshot: Tagged): QueueConsumerState {
  return publicStateName(snapshot, QUEUE_CONSUMER_STATES, 'registering');
}

const queueParams = ({ event }: { event: { queue: string } }) => ({ queue: event.queue });

/**
 * One queue consumer. It only tracks the lifecycle; deliveries never pass through it (the
 * client's queue router hands them to the handler). The `qreg`/`qunreg` frames are sent by
 * actions the client provides. After a reconnect it registers the same name again; a
 * temporary queue whose grace period ran out (NOT_FOUND) is replaced by a new one.
 */
export const queueConsumerMachine = setup({
  types: {
    context: {} as QueueConsumerContext,
    events: {} as QueueConsumerEvent,
    input: {} as QueueConsumerInput,
  },
  actions: {
    /** Provided by the client: sends `qreg {queue}` ('' while the temporary queue has no name). */
    requestRegister: () => undefined,
    /** Provided by the client: sends `qunreg {queue}`. */
    requestUnregister: () => undefined,
    recordQueue: assign((_, { queue }: { queue: string }) => ({ queue })),
    forgetQueue: assign({ queue: '' }),
    recordError: assign((_, error: ErrorParams) => ({ error })),
  },
  guards: {
    /** The server removed our temporary queue while we were away. */
    temporaryQueueGone: ({ context }, { code }: ErrorParams) =>
      context.temporary && context.queue !== '' && code === 'NOT_FOUND',
  },
}).createMachine({
  id: 'queueConsumer',
  context: ({ input }) => ({ queue: input.queue, temporary: input.queue === '' }),
  initial: 'registering',
  states: {
    registering: {
      tags: ['registering'],
      initial: 'waiting',
      on: {
        CLOSE: 'unregistered',
        FAIL: { target: 'failed', actions: { type: 'recordError', params: errorParams } },
      },
      states: {
        /** Offline: nothing sent yet. */
        waiting: {
          on: { ONLINE: 'requesting' },
        },
        requesting: {
          entry: 'requestRegister',
          on: {
            OFFLINE: 'waiting',
            REGISTERED: {
              target: '#queueConsumer.active',
              actions: { type: 'recordQueue', params: queueParams },
            },
            REJECTED: {
              target: '#queueConsumer.failed',
              actions: { type: 'recordError', params: errorParams },
            },
            // A late answer is unregistered by the client (a temporary queue has no name yet).
            CLOSE: '#queueConsumer.unregistered',
          },
        },
      },
    },
    active: {
      tags: ['active'],
      on: {
        OFFLINE: 'offline',
        CLOSE: { target: 'unregistered', actions: 'requestUnregister' },
        FAIL: { target: 'failed', actions: { type: 'recordError', params: errorParams } },
      },
    },
    /** Registered before, socket lost: the server has detached us. */
    offline: {
      tags: ['offline'],
      on: {
        ONLINE: 'reregistering',
        CLOSE: 'unregistered',
        FAIL: { target: 'failed', actions: { type: 'recordError', params: errorParams } },
      },
    },
    reregistering: {
      tags: ['reregistering'],
      entry: 'requestRegister',
      on: {
        OFFLINE: 'offline',
        REGISTERED: { target: 'active', actions: { type: 'recordQueue', params: queueParams } },
        REJECTED: [
          {
            guard: { type: 'temporaryQueueGone', params: errorParams },
            target: 'reregistering',
            reenter: true,
            actions: 'forgetQueue',
          },
          { target: 'failed', actions: { type: 'recordError', params: errorParams } },
        ],
        CLOSE: { target: 'unregistered', actions: 'requestUnregister' },
        FAIL: { target: 'failed', actions: { type: 'recordError', params: errorParams } },
      },
    },
    unregistered: { type: 'final', tags: ['unregistered'] },
    failed: { type: 'final', tags: ['failed'] },
  },
});

export type QueueConsumerMachine = typeof queueConsumerMachine;
