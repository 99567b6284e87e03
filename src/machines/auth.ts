import { assertEvent, assign, emit, fromPromise, sendParent, setup } from 'xstate';
import { type ErrorCode, isErrorCode } from '../errors/codes.js';
import { MAX_TIMER_DELAY_MS } from './timerLimit.js';

/**
 * How the credential is obtained. The token itself never enters this machine: it lives in a
 * holder outside (inspection observers see every context and event).
 */
export type CredentialMode = 'none' | 'static' | 'function';

export interface AuthInput {
  mode: CredentialMode;
  refreshLeadMs: number;
}

export interface AuthContext extends AuthInput {
  /** Lifetime of the current token as reported by the token function, when it said. */
  expiresInMs?: number;
  /** The server said the static token expired and no new one was set since. */
  stale: boolean;
  error?: { code: ErrorCode; message: string };
}

/** What the credential actors resolve to: never the token. */
export interface TokenInfo {
  expiresInMs?: number;
}

export type AuthEvent =
  | { type: 'PREPARE' }
  | { type: 'CHALLENGE'; challenge: string }
  | { type: 'SIGNED_IN' }
  | { type: 'EXPIRED' }
  | { type: 'SET_TOKEN'; mode: CredentialMode }
  | { type: 'OFFLINE' };

/** Notifications for the plain code that retries calls held on TOKEN_EXPIRED. */
export type AuthEmitted =
  | { type: 'refreshed' }
  | { type: 'refreshFailed'; code: ErrorCode; message: string };

/** What a credential actor threw: its own code when it carries one, else UNAVAILABLE. */
function errorOf(error: unknown): { code: ErrorCode; message: string } {
  const { code, message }: { code?: unknown; message?: unknown } = Object(error);
  return {
    code: typeof code === 'string' && isErrorCode(code) ? code : 'UNAVAILABLE',
    message: typeof message === 'string' ? message : String(error),
  };
}

/** `params` of a transition on a credential actor's failure or on its result. */
const thrown = ({ event }: { event: { error: unknown } }) => ({ error: event.error });
const tokenInfo = ({ event }: { event: { output: TokenInfo } }) => event.output;
const newMode = ({ event }: { event: { mode: CredentialMode } }) => ({ mode: event.mode });

/** A refresh that failed: a refusal closes for good, anything else waits for the next expiry. */
const refreshFailed = [
  {
    guard: { type: 'isUnauthorized', params: thrown },
    target: '#auth.closed',
    actions: [{ type: 'recordError', params: thrown }, 'emitRefreshFailed', 'notifyFailed'],
  },
  {
    target: 'active',
    actions: [{ type: 'recordError', params: thrown }, 'emitRefreshFailed'],
  },
] as const;

/**
 * Credential lifecycle of one client: prepares the credential before every handshake, signs
 * challenges, refreshes the token `refreshLeadMs` before it expires and sends it on the live
 * socket, and closes for good when the token function throws `UnauthorizedError`.
 */
export const authMachine = setup({
  types: {
    context: {} as AuthContext,
    events: {} as AuthEvent,
    input: {} as AuthInput,
    emitted: {} as AuthEmitted,
  },
  actors: {
    /** Calls the token function and keeps the token in the holder. */
    fetchToken: fromPromise<TokenInfo>(async () => ({})),
    /** Sends the holder's token on the live socket (`token` request). */
    sendToken: fromPromise<TokenInfo>(async () => ({})),
    /** Runs `onChallenge` and answers with `auth {signature}`. */
    signChallenge: fromPromise<void, { challenge: string }>(async () => undefined),
  },
  actions: {
    notifyReady: sendParent({ type: 'AUTH.READY' }),
    notifyFailed: sendParent(({ context }) => ({
      type: 'AUTH.FAILED',
      code: context.error?.code ?? 'UNAUTHORIZED',
      message: context.error?.message ?? 'unauthorized',
    })),
    recordError: assign((_, { error }: { error: unknown }) => ({ error: errorOf(error) })),
    recordStale: assign({
      stale: true,
      error: { code: 'TOKEN_EXPIRED' as const, message: 'token expired; set a new one' },
    }),
    recordTokenInfo: assign((_, { expiresInMs }: TokenInfo) => ({ expiresInMs, error: undefined })),
    setMode: assign((_, { mode }: { mode: CredentialMode }) => ({
      mode,
      stale: false,
      error: undefined,
    })),
    emitRefreshed: emit({ type: 'refreshed' as const }),
    emitRefreshFailed: emit(({ context }) => ({
      type: 'refreshFailed' as const,
      code: context.error?.code ?? 'TOKEN_EXPIRED',
      message: context.error?.message ?? 'token refresh failed',
    })),
  },
  guards: {
    usesFunction: ({ context }) => context.mode === 'function',
    usesStaticToken: ({ context }) => context.mode === 'static',
    isStale: ({ context }) => context.stale,
    isUnauthorized: (_, { error }: { error: unknown }) => errorOf(error).code === 'UNAUTHORIZED',
    refreshDue: ({ context }) => context.mode === 'function' && context.expiresInMs !== undefined,
    newTokenIsFunction: (_, { mode }: { mode: CredentialMode }) => mode === 'function',
  },
  delays: {
    refreshLead: ({ context }) =>
      Math.min(MAX_TIMER_DELAY_MS, Math.max(0, (context.expiresInMs ?? 0) - context.refreshLeadMs)),
  },
}).createMachine({
  id: 'auth',
  context: ({ input }) => ({ ...input, stale: false }),
  initial: 'idle',
  on: { SET_TOKEN: { actions: { type: 'setMode', params: newMode } } },
  states: {
    idle: {
      on: {
        PREPARE: [
          { guard: 'usesFunction', target: 'fetching' },
          { guard: 'isStale', actions: 'notifyFailed' },
          { target: 'ready', actions: 'notifyReady' },
        ],
      },
    },
    fetching: {
      invoke: {
        id: 'fetch',
        src: 'fetchToken',
        onDone: {
          target: 'ready',
          actions: [{ type: 'recordTokenInfo', params: tokenInfo }, 'notifyReady'],
        },
        onError: [
          {
            guard: { type: 'isUnauthorized', params: thrown },
            target: 'closed',
            actions: [{ type: 'recordError', params: thrown }, 'notifyFailed'],
          },
          { target: 'idle', actions: [{ type: 'recordError', params: thrown }, 'notifyFailed'] },
        ],
      },
      on: {
        OFFLINE: 'idle',
        // The fetch under way belongs to the old credential: start over with the new one.
        SET_TOKEN: {
          target: 'fetching',
          reenter: true,
          actions: { type: 'setMode', params: newMode },
        },
      },
    },
    /** Credential in hand for the handshake under way. */
    ready: {
      on: {
        CHALLENGE: 'signing',
        SIGNED_IN: [{ guard: 'refreshDue', target: 'session.scheduled' }, { target: 'session' }],
        EXPIRED: { guard: 'usesStaticToken', actions: 'recordStale' },
        OFFLINE: 'idle',
      },
    },
    signing: {
      invoke: {
        id: 'sign',
        src: 'signChallenge',
        input: ({ event }) => {
          assertEvent(event, 'CHALLENGE');
          return { challenge: event.challenge };
        },
        onDone: 'ready',
        onError: [
          {
            guard: { type: 'isUnauthorized', params: thrown },
            target: 'closed',
            actions: [{ type: 'recordError', params: thrown }, 'notifyFailed'],
          },
          { target: 'idle', actions: [{ type: 'recordError', params: thrown }, 'notifyFailed'] },
        ],
      },
      on: { OFFLINE: 'idle' },
    },
    /** Signed in on a live socket. */
    session: {
      on: {
        OFFLINE: 'idle',
        // Re-entered so a credential set during a refresh is sent after all (restarts it).
        SET_TOKEN: [
          {
            guard: { type: 'newTokenIsFunction', params: newMode },
            target: '.refreshing',
            reenter: true,
            actions: { type: 'setMode', params: newMode },
          },
          { target: '.updating', reenter: true, actions: { type: 'setMode', params: newMode } },
        ],
      },
      initial: 'active',
      states: {
        active: {
          on: {
            EXPIRED: [
              { guard: 'usesFunction', target: 'refreshing' },
              { actions: ['recordStale', 'emitRefreshFailed'] },
            ],
          },
        },
        /** Active, with a refresh due `refreshLeadMs` before the token expires. */
        scheduled: {
          after: { refreshLead: 'refreshing' },
          on: { EXPIRED: 'refreshing' },
        },
        refreshing: {
          invoke: {
            id: 'refresh',
            src: 'fetchToken',
            onDone: { target: 'updating', actions: { type: 'recordTokenInfo', params: tokenInfo } },
            onError: refreshFailed,
          },
        },
        updating: {
          invoke: {
            id: 'send',
            src: 'sendToken',
            onDone: [
              { guard: 'refreshDue', target: 'scheduled', actions: 'emitRefreshed' },
              { target: 'active', actions: 'emitRefreshed' },
            ],
            onError: refreshFailed,
          },
        },
      },
    },
    /** The token function refused for good; only a new credential reopens. */
    closed: {
      on: {
        SET_TOKEN: { target: 'idle', actions: { type: 'setMode', params: newMode } },
        PREPARE: { actions: 'notifyFailed' },
      },
    },
  },
});

export type AuthMachine = typeof authMachine;
