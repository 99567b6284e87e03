import { assign, setup } from 'xstate';
import { CLOSE } from '../protocol/closeCodes.js';

/**
 * Lifecycle of the peer of a bound link (protocol §17): awaiting `hello` → signed in →
 * closing → closed. Only lifecycle events travel through it; frames do not. The bound side
 * counts incoming frames in the shared `activity` counter and the heartbeat delay reads it
 * when it fires. Socket work is done by actions the bound side provides.
 */

/** Consecutive heartbeat ticks without any incoming frame after which the peer is cut. */
export const LINK_SILENT_TICKS_LIMIT = 2;

export interface LinkSessionInput {
  handshakeTimeoutMs: number;
  /** Interval of the silence check (the peer pings this often). */
  heartbeatMs: number;
  /** Incremented by the bound side on every incoming frame; never by the machine. */
  activity: { count: number };
}

export interface LinkSessionContext extends LinkSessionInput {
  seenActivity: number;
  silentTicks: number;
}

export type LinkSessionEvent =
  /** The first message was a `hello` of our version. */
  | { type: 'HELLO' }
  /** The peer broke the protocol: an `error` frame, then a close with this code. */
  | { type: 'REFUSE'; code: number; reason: string; message: string }
  /** This side closes the link. */
  | { type: 'CLOSE' }
  | { type: 'SOCKET_CLOSED' };

export const linkSessionMachine = setup({
  types: {
    context: {} as LinkSessionContext,
    events: {} as LinkSessionEvent,
    input: {} as LinkSessionInput,
  },
  delays: {
    handshakeTimeout: ({ context }) => context.handshakeTimeoutMs,
    heartbeatInterval: ({ context }) => context.heartbeatMs,
  },
  guards: {
    silentTooLong: ({ context }) =>
      context.activity.count === context.seenActivity &&
      context.silentTicks + 1 >= LINK_SILENT_TICKS_LIMIT,
  },
  actions: {
    /** Provided by the bound side: sends `welcome` and lets the data path use the socket. */
    welcome: () => undefined,
    /** Provided by the bound side: sends `{type: 'error', code: 'BAD_REQUEST', message}`. */
    sendError: (_, _params: { message: string }) => undefined,
    /** Provided by the bound side: sends `bye`. */
    sayBye: () => undefined,
    /** Provided by the bound side: starts the close handshake. */
    closeSocket: (_, _params: { code: number; reason: string }) => undefined,
    /** Provided by the bound side: drops the socket without a close handshake (1006). */
    cut: () => undefined,
    noteHeartbeatTick: assign(({ context }) => {
      const silent = context.activity.count === context.seenActivity;
      return {
        seenActivity: context.activity.count,
        silentTicks: silent ? context.silentTicks + 1 : 0,
      };
    }),
  },
}).createMachine({
  id: 'linkSession',
  // Counted from the upgrade: the `hello` is activity for the first tick.
  context: ({ input }) => ({ ...input, seenActivity: input.activity.count, silentTicks: 0 }),
  initial: 'open',
  on: {
    SOCKET_CLOSED: '.closed',
  },
  states: {
    open: {
      initial: 'awaitingHello',
      on: {
        REFUSE: {
          target: 'closing',
          actions: [
            { type: 'sendError', params: ({ event }) => ({ message: event.message }) },
            {
              type: 'closeSocket',
              params: ({ event }) => ({ code: event.code, reason: event.reason }),
            },
          ],
        },
        CLOSE: {
          target: 'closing',
          actions: [
            'sayBye',
            { type: 'closeSocket', params: { code: CLOSE.NORMAL, reason: 'LINK_CLOSED' } },
          ],
        },
      },
      states: {
        awaitingHello: {
          after: {
            handshakeTimeout: {
              target: '#linkSession.closing',
              actions: {
                type: 'closeSocket',
                params: { code: CLOSE.POLICY_VIOLATION, reason: 'HANDSHAKE_TIMEOUT' },
              },
            },
          },
          on: { HELLO: { target: 'signedIn', actions: 'welcome' } },
        },
        signedIn: {
          after: {
            heartbeatInterval: [
              { guard: 'silentTooLong', target: '#linkSession.closing', actions: 'cut' },
              { target: 'signedIn', reenter: true, actions: 'noteHeartbeatTick' },
            ],
          },
        },
      },
    },
    /** Waits for the socket to be gone (ws ends a close handshake that does not finish). */
    closing: {},
    closed: { type: 'final' },
  },
});

export type LinkSessionMachine = typeof linkSessionMachine;
