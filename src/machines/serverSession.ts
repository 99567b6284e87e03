import { assign, emit, setup } from 'xstate';
import { CLOSE } from '../protocol/closeCodes.js';
import { MAX_TIMER_DELAY_MS } from './timerLimit.js';

/**
 * Server-side lifecycle of one connection: signingIn (handshake → authenticating) → open → closing →
 * closed. Only lifecycle events travel through it; frames do not. The server counts incoming
 * frames in the shared `activity` counter, and the heartbeat delay reads it when it fires.
 * Socket work is asked for by the command actions (`emitPing`, `emitTokenExpired`, `emitClose`,
 * `emitTerminate`), which emit SESSION_COMMANDS. The server provides them once, at module level,
 * to send the same commands to the session's parent (server/sessionParents.ts); a `.provide()`
 * per connection would rebuild the state nodes (~28 KB each). Events are read through `params`.
 */

/** Consecutive heartbeat ticks without any incoming frame after which the session closes. */
export const SILENT_TICKS_LIMIT = 2;

export type AuthMode = 'none' | 'token' | 'challenge';

export interface SessionInput {
  /** Interval of the heartbeat tick (WS ping + silence check); 0 disables the heartbeat. */
  heartbeatMs: number;
  handshakeTimeoutMs: number;
  tokenGraceMs: number;
  /** How long a closing socket may take to finish the close handshake before it is cut. */
  closeTimeoutMs: number;
  /** Incremented by the server on every frame and pong; never by the machine. */
  activity: { count: number };
}

export interface SessionContext extends SessionInput {
  uid: string | null;
  /** Time left on the current token, or null when it does not expire. */
  tokenRemainingMs: number | null;
  seenActivity: number;
  silentTicks: number;
  closeCode: number;
  closeReason: string;
}

export type SessionEvent =
  | { type: 'HELLO'; mode: AuthMode }
  | { type: 'SIGNATURE' }
  | { type: 'AUTH_OK'; uid: string; tokenTtlMs?: number }
  | { type: 'AUTH_FAILED'; code: string }
  | { type: 'TOKEN_REFRESHED'; tokenTtlMs?: number }
  | { type: 'CLOSE'; code: number; reason: string }
  | { type: 'SOCKET_CLOSED' };

export type SessionEmitted =
  | { type: 'ping' }
  | { type: 'tokenExpired'; graceMs: number }
  | { type: 'close'; code: number; reason: string }
  | { type: 'terminate' };

type CloseParams = { code: number; reason: string };

/** The socket work each command action asks for, read from the session's context. */
export const SESSION_COMMANDS = {
  emitPing: (): SessionEmitted => ({ type: 'ping' }),
  emitTokenExpired: (context: SessionContext): SessionEmitted => ({
    type: 'tokenExpired',
    graceMs: context.tokenGraceMs,
  }),
  emitClose: (context: SessionContext): SessionEmitted => ({
    type: 'close',
    code: context.closeCode,
    reason: context.closeReason,
  }),
  emitTerminate: (): SessionEmitted => ({ type: 'terminate' }),
};

/** The server asked to close (shutdown, a policy): from any state before `closing`. */
const closeOnRequest = {
  target: '#session.closing',
  actions: {
    type: 'rememberClose',
    params: ({ event }: { event: CloseParams }) => ({ code: event.code, reason: event.reason }),
  },
} as const;

export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as SessionInput,
    emitted: {} as SessionEmitted,
  },
  delays: {
    handshakeTimeout: ({ context }) => context.handshakeTimeoutMs,
    heartbeatInterval: ({ context }) => context.heartbeatMs,
    tokenLifetime: ({ context }) =>
      Math.max(0, Math.min(context.tokenRemainingMs ?? 0, MAX_TIMER_DELAY_MS)),
    tokenGrace: ({ context }) => context.tokenGraceMs,
    closeTimeout: ({ context }) => context.closeTimeoutMs,
  },
  guards: {
    isChallenge: (_, params: { mode: AuthMode }) => params.mode === 'challenge',
    tokenExpires: ({ context }) => context.tokenRemainingMs !== null,
    tokenOutlivesTimer: ({ context }) => (context.tokenRemainingMs ?? 0) > MAX_TIMER_DELAY_MS,
    heartbeatDisabled: ({ context }) => context.heartbeatMs <= 0,
    silentTooLong: ({ context }) =>
      context.activity.count === context.seenActivity &&
      context.silentTicks + 1 >= SILENT_TICKS_LIMIT,
  },
  actions: {
    signIn: assign((_, params: { uid: string; tokenTtlMs: number | undefined }) => ({
      uid: params.uid,
      tokenRemainingMs: params.tokenTtlMs ?? null,
    })),
    takeToken: assign((_, params: { tokenTtlMs: number | undefined }) => ({
      tokenRemainingMs: params.tokenTtlMs ?? null,
    })),
    consumeTimerStep: assign(({ context }) => ({
      tokenRemainingMs: (context.tokenRemainingMs ?? 0) - MAX_TIMER_DELAY_MS,
    })),
    noteHeartbeatTick: assign(({ context }) => {
      const silent = context.activity.count === context.seenActivity;
      return {
        seenActivity: context.activity.count,
        silentTicks: silent ? context.silentTicks + 1 : 0,
      };
    }),
    /** What `closing` will close the socket with. */
    rememberClose: assign((_, params: CloseParams) => ({
      closeCode: params.code,
      closeReason: params.reason,
    })),
    emitPing: emit(SESSION_COMMANDS.emitPing),
    emitTokenExpired: emit(({ context }) => SESSION_COMMANDS.emitTokenExpired(context)),
    emitClose: emit(({ context }) => SESSION_COMMANDS.emitClose(context)),
    emitTerminate: emit(SESSION_COMMANDS.emitTerminate),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    ...input,
    uid: null,
    tokenRemainingMs: null,
    seenActivity: input.activity.count,
    silentTicks: 0,
    closeCode: CLOSE.NORMAL,
    closeReason: '',
  }),
  initial: 'signingIn',
  on: {
    SOCKET_CLOSED: '.closed',
  },
  states: {
    // One deadline from the upgrade to `welcome`, whatever step of the sign-in it finds.
    signingIn: {
      initial: 'handshake',
      after: {
        handshakeTimeout: {
          target: '#session.closing',
          actions: {
            type: 'rememberClose',
            params: { code: CLOSE.POLICY_VIOLATION, reason: 'HANDSHAKE_TIMEOUT' },
          },
        },
      },
      on: {
        CLOSE: closeOnRequest,
      },
      states: {
        handshake: {
          on: {
            HELLO: [
              {
                guard: { type: 'isChallenge', params: ({ event }) => ({ mode: event.mode }) },
                target: 'authenticating.awaitingSignature',
              },
              { target: 'authenticating.verifying' },
            ],
          },
        },
        authenticating: {
          initial: 'verifying',
          on: {
            AUTH_OK: {
              target: '#session.open',
              actions: {
                type: 'signIn',
                params: ({ event }) => ({ uid: event.uid, tokenTtlMs: event.tokenTtlMs }),
              },
            },
            AUTH_FAILED: {
              target: '#session.closing',
              actions: {
                type: 'rememberClose',
                params: ({ event }) => ({ code: CLOSE.POLICY_VIOLATION, reason: event.code }),
              },
            },
          },
          states: {
            awaitingSignature: { on: { SIGNATURE: 'verifying' } },
            verifying: {},
          },
        },
      },
    },
    open: {
      type: 'parallel',
      tags: ['open'],
      on: {
        CLOSE: closeOnRequest,
      },
      states: {
        token: {
          initial: 'checking',
          on: {
            TOKEN_REFRESHED: {
              target: '.checking',
              actions: {
                type: 'takeToken',
                params: ({ event }) => ({ tokenTtlMs: event.tokenTtlMs }),
              },
            },
          },
          states: {
            checking: {
              always: [{ guard: 'tokenExpires', target: 'valid' }, { target: 'unlimited' }],
            },
            unlimited: {},
            valid: {
              after: {
                tokenLifetime: [
                  {
                    guard: 'tokenOutlivesTimer',
                    target: 'valid',
                    reenter: true,
                    actions: 'consumeTimerStep',
                  },
                  { target: 'expired' },
                ],
              },
            },
            expired: {
              tags: ['tokenExpired'],
              entry: 'emitTokenExpired',
              after: {
                tokenGrace: {
                  target: '#session.closing',
                  actions: {
                    type: 'rememberClose',
                    params: { code: CLOSE.POLICY_VIOLATION, reason: 'TOKEN_EXPIRED' },
                  },
                },
              },
            },
          },
        },
        heartbeat: {
          initial: 'checking',
          states: {
            checking: {
              always: [{ guard: 'heartbeatDisabled', target: 'off' }, { target: 'watching' }],
            },
            off: {},
            watching: {
              after: {
                heartbeatInterval: [
                  {
                    guard: 'silentTooLong',
                    target: '#session.closing',
                    actions: {
                      type: 'rememberClose',
                      params: { code: CLOSE.GOING_AWAY, reason: 'HEARTBEAT_TIMEOUT' },
                    },
                  },
                  { target: 'watching', reenter: true, actions: ['noteHeartbeatTick', 'emitPing'] },
                ],
              },
            },
          },
        },
      },
    },
    closing: {
      tags: ['closing'],
      entry: 'emitClose',
      after: { closeTimeout: { target: 'closed', actions: 'emitTerminate' } },
    },
    closed: {
      type: 'final',
      tags: ['closing'],
    },
  },
});

export type SessionMachine = typeof sessionMachine;
