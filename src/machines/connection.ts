import { assign, emit, enqueueActions, fromCallback, sendTo, setup } from 'xstate';
import { type ErrorCode, RECOVERABLE } from '../errors/codes.js';
import { type AuthInput, authMachine } from './auth.js';
import {
  backoffDelay,
  type ConnectionFailure,
  failureFromClose,
  type HeartbeatPolicy,
  heartbeatOf,
  type ReconnectPolicy,
} from './connectionPolicy.js';
import { type ErrorParams, errorParams } from './eventParams.js';
import { publicStateName, type Tagged } from './stateNames.js';

export type { ConnectionFailure, HeartbeatPolicy, ReconnectPolicy } from './connectionPolicy.js';

export interface ConnectionInput {
  uid?: string;
  auth: AuthInput;
  reconnect: ReconnectPolicy | false;
  /**
   * `undefined`: ping at the server's `heartbeatMs` (none when the server's is 0: heartbeat
   * off); `false`: no heartbeat.
   */
  heartbeat?: HeartbeatPolicy | false;
  timeoutMs: number;
  waitOnFirstConnect: boolean;
  /** Jitter source in [0, 1) for the backoff; `Math.random` when absent. */
  random?: () => number;
}

export interface ConnectionContext extends ConnectionInput {
  /** Reconnect attempts since the last sign-in. */
  attempt: number;
  /** Signed in at least once since the last CONNECT (decides the first-connect rule). */
  signedInOnce: boolean;
  session?: string;
  /** The socket of the current attempt opened (tells "unreachable" from "lost"). */
  opened: boolean;
  /** Heartbeat interval announced by the server in `welcome`. */
  serverHeartbeatMs?: number;
  /** Largest frame the server accepts, from `welcome`. */
  maxPayload?: number;
  close?: { reason: string; code?: number };
  /** Reason the server gave in `bye` before closing. */
  byeReason?: string;
  failure?: ConnectionFailure;
}

/** Lifecycle frames the socket actor forwards; message payloads never come this way. */
export type SocketEvent =
  | { type: 'SOCKET.OPEN' }
  | { type: 'SOCKET.CLOSED'; code: number; reason: string }
  | {
      type: 'WELCOME';
      uid: string;
      session: string;
      heartbeatMs: number;
      maxPayload: number;
      expiresAt?: number;
    }
  | { type: 'CHALLENGE'; challenge: string }
  | { type: 'SERVER.ERROR'; code: ErrorCode; message: string; graceMs?: number }
  | { type: 'BYE'; reason: string }
  | { type: 'PONG' };

/** What the browser says about the network and the page (the `network` actor forwards it). */
export type NetworkEvent =
  /** `offline`: the connection is treated as lost at once. */
  | { type: 'NETWORK.OFFLINE' }
  /** `online`: a reconnect waiting out its backoff goes now. */
  | { type: 'NETWORK.ONLINE' }
  /** `pagehide` into the back/forward cache: close cleanly, reconnect on `PAGE.SHOWN`. */
  | { type: 'PAGE.HIDDEN' }
  /** `pageshow` out of the back/forward cache. */
  | { type: 'PAGE.SHOWN' };

export type ConnectionEvent =
  | { type: 'CONNECT' }
  | { type: 'DISCONNECT' }
  | SocketEvent
  | NetworkEvent
  | { type: 'AUTH.READY' }
  | { type: 'AUTH.FAILED'; code: ErrorCode; message: string };

export type ConnectionEmitted = {
  type: 'error';
  code: ErrorCode;
  message: string;
  recoverable: boolean;
};

type Welcome = Extract<SocketEvent, { type: 'WELCOME' }>;

/**
 * Connection lifecycle: idle → connecting → authenticating → connected, with reconnect
 * (backoff + full jitter) and heartbeat. The `socket` actor is provided by the client; it
 * opens the transport, hands data frames to plain code and sends only lifecycle events here.
 * The `auth` child keeps the credential lifecycle (and never holds the token itself).
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    socket: fromCallback<{ type: string }>(() => undefined),
    /** Provided by the client: forwards browser network and page events (`NetworkEvent`). */
    network: fromCallback<{ type: string }>(() => undefined),
    auth: authMachine,
  },
  actions: {
    /** Provided by the client: sends `hello` with the current credential. */
    sendHello: (_) => undefined,
    /** Provided by the client: sends a heartbeat `ping`. */
    sendPing: (_) => undefined,
    startSession: assign({ attempt: 0, signedInOnce: false, close: undefined, failure: undefined }),
    beginAttempt: assign({ opened: false, byeReason: undefined }),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1, failure: undefined }),
    /** Back from the bfcache: a fresh attempt, not one more retry of the backoff. */
    clearFailure: assign({ failure: undefined }),
    prepareCredentials: sendTo('auth', { type: 'PREPARE' }),
    forwardChallenge: sendTo('auth', (_, { challenge }: { challenge: string }) => ({
      type: 'CHALLENGE' as const,
      challenge,
    })),
    forwardExpired: sendTo('auth', { type: 'EXPIRED' }),
    notifySignedIn: sendTo('auth', { type: 'SIGNED_IN' }),
    notifyOffline: sendTo('auth', { type: 'OFFLINE' }),
    signIn: assign((_, welcome: Welcome) => ({
      uid: welcome.uid,
      session: welcome.session,
      serverHeartbeatMs: welcome.heartbeatMs,
      maxPayload: welcome.maxPayload,
      attempt: 0,
      signedInOnce: true,
      close: undefined,
      failure: undefined,
    })),
    recordClose: assign(({ context }, { code, reason }: { code: number; reason: string }) => ({
      close: { code, reason: context.byeReason ?? reason },
      failure: context.failure ?? failureFromClose(code, reason, context.opened),
    })),
    markOpened: assign({ opened: true }),
    recordBye: assign((_, { reason }: { reason: string }) => ({ byeReason: reason })),
    recordServerError: assign(({ context }, { code, message }: ErrorParams) => ({
      failure: context.failure ?? { code, message, fatal: !RECOVERABLE[code] },
    })),
    // A token function that merely failed (network) is retried; a refusal is not.
    recordAuthFailure: assign((_, { code, message }: ErrorParams) => ({
      failure: { code, message, fatal: code === 'UNAUTHORIZED' || code === 'TOKEN_EXPIRED' },
    })),
    recordTimeout: assign({
      failure: { code: 'TIMEOUT' as const, message: 'connect/handshake timeout', fatal: false },
    }),
    recordPongTimeout: assign({
      close: { reason: 'heartbeat timeout' },
      failure: { code: 'TIMEOUT' as const, message: 'no pong within timeout', fatal: false },
    }),
    recordClientClose: assign({ close: { reason: 'client disconnect' }, failure: undefined }),
    recordNetworkOffline: assign({
      close: { reason: 'network offline' },
      failure: { code: 'DISCONNECTED' as const, message: 'network offline', fatal: false },
    }),
    recordPageHidden: assign({
      close: { reason: 'page hidden (back/forward cache)' },
      failure: undefined,
    }),
    recordExhausted: assign(({ context }) => ({
      failure: {
        code: context.failure?.code ?? 'UNAVAILABLE',
        message: `gave up after ${context.attempt} reconnect attempts: ${context.failure?.message ?? ''}`,
        fatal: true,
      },
    })),
    reportFailure: enqueueActions(({ context, enqueue }) => {
      const { failure } = context;
      if (failure) {
        enqueue.emit({
          type: 'error',
          code: failure.code,
          message: failure.message,
          recoverable: false,
        });
      }
    }),
    reportServerError: emit((_, { code, message }: ErrorParams) => ({
      type: 'error' as const,
      code,
      message,
      recoverable: true,
    })),
  },
  guards: {
    isFatal: ({ context }) => context.failure?.fatal === true,
    isFirstConnectFailing: ({ context }) => !context.signedInOnce && !context.waitOnFirstConnect,
    reconnectDisabled: ({ context }) => context.reconnect === false,
    attemptsExhausted: ({ context }) =>
      context.reconnect !== false && context.attempt >= context.reconnect.maxAttempts,
    isTokenExpired: (_, { code }: ErrorParams) => code === 'TOKEN_EXPIRED',
    heartbeatEnabled: ({ context }) =>
      context.heartbeat !== false && heartbeatOf(context).intervalMs > 0,
  },
  delays: {
    backoff: ({ context }) =>
      context.reconnect === false
        ? 0
        : backoffDelay(context.attempt, context.reconnect, context.random ?? Math.random),
    connectTimeout: ({ context }) => context.timeoutMs,
    handshakeTimeout: ({ context }) => context.timeoutMs,
    heartbeatInterval: ({ context }) => heartbeatOf(context).intervalMs,
    pongTimeout: ({ context }) => heartbeatOf(context).timeoutMs,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({ ...input, attempt: 0, signedInOnce: false, opened: false }),
  invoke: { id: 'auth', systemId: 'auth', src: 'auth', input: ({ context }) => context.auth },
  initial: 'idle',
  states: {
    idle: {
      tags: ['idle'],
      on: { CONNECT: { target: 'online', actions: 'startSession' } },
    },
    online: {
      invoke: [
        { id: 'socket', src: 'socket' },
        { id: 'network', src: 'network' },
      ],
      entry: 'beginAttempt',
      exit: 'notifyOffline',
      on: {
        DISCONNECT: { target: 'closed', actions: 'recordClientClose' },
        'SOCKET.CLOSED': {
          target: 'lost',
          actions: { type: 'recordClose', params: ({ event }) => event },
        },
        BYE: { actions: { type: 'recordBye', params: ({ event }) => event } },
        'NETWORK.OFFLINE': { target: 'lost', actions: 'recordNetworkOffline' },
        'PAGE.HIDDEN': [
          { guard: 'reconnectDisabled', target: 'closed', actions: 'recordPageHidden' },
          { target: 'suspended', actions: 'recordPageHidden' },
        ],
      },
      initial: 'connecting',
      states: {
        connecting: {
          tags: ['connecting'],
          after: { connectTimeout: { target: '#connection.lost', actions: 'recordTimeout' } },
          on: { 'SOCKET.OPEN': { target: 'authenticating', actions: 'markOpened' } },
        },
        authenticating: {
          tags: ['authenticating'],
          entry: 'prepareCredentials',
          after: { handshakeTimeout: { target: '#connection.lost', actions: 'recordTimeout' } },
          on: {
            'AUTH.READY': { actions: 'sendHello' },
            'AUTH.FAILED': {
              target: '#connection.lost',
              actions: { type: 'recordAuthFailure', params: errorParams },
            },
            CHALLENGE: { actions: { type: 'forwardChallenge', params: ({ event }) => event } },
            WELCOME: {
              target: 'connected',
              actions: [{ type: 'signIn', params: ({ event }) => event }, 'notifySignedIn'],
            },
            'SERVER.ERROR': [
              {
                guard: { type: 'isTokenExpired', params: errorParams },
                actions: [{ type: 'recordServerError', params: errorParams }, 'forwardExpired'],
              },
              { actions: { type: 'recordServerError', params: errorParams } },
            ],
          },
        },
        connected: {
          tags: ['connected'],
          on: {
            'SERVER.ERROR': [
              { guard: { type: 'isTokenExpired', params: errorParams }, actions: 'forwardExpired' },
              { actions: { type: 'reportServerError', params: errorParams } },
            ],
            'AUTH.FAILED': {
              target: '#connection.lost',
              actions: { type: 'recordAuthFailure', params: errorParams },
            },
          },
          initial: 'waiting',
          states: {
            waiting: {
              after: { heartbeatInterval: { guard: 'heartbeatEnabled', target: 'awaitingPong' } },
            },
            awaitingPong: {
              entry: 'sendPing',
              on: { PONG: 'waiting' },
              after: {
                pongTimeout: { target: '#connection.lost', actions: 'recordPongTimeout' },
              },
            },
          },
        },
      },
    },
    /** Decides between retrying and giving up; never observed from outside. */
    lost: {
      always: [
        { guard: 'isFatal', target: 'closed' },
        { guard: 'isFirstConnectFailing', target: 'closed' },
        { guard: 'reconnectDisabled', target: 'closed' },
        { guard: 'attemptsExhausted', target: 'closed', actions: 'recordExhausted' },
        { target: 'reconnecting' },
      ],
    },
    reconnecting: {
      tags: ['reconnecting'],
      invoke: { id: 'network', src: 'network' },
      after: { backoff: { target: 'online', actions: 'countAttempt' } },
      on: {
        CONNECT: { target: 'online', actions: 'countAttempt' },
        'NETWORK.ONLINE': { target: 'online', actions: 'countAttempt' },
        'PAGE.HIDDEN': 'suspended',
        DISCONNECT: { target: 'closed', actions: 'recordClientClose' },
      },
    },
    /** The page sits in the back/forward cache: no socket, no timer until it is shown again. */
    suspended: {
      tags: ['reconnecting'],
      invoke: { id: 'network', src: 'network' },
      on: {
        'PAGE.SHOWN': { target: 'online', actions: 'clearFailure' },
        CONNECT: { target: 'online', actions: 'clearFailure' },
        DISCONNECT: { target: 'closed', actions: 'recordClientClose' },
      },
    },
    closed: {
      tags: ['closed'],
      entry: 'reportFailure',
      on: { CONNECT: { target: 'online', actions: 'startSession' } },
    },
  },
});

export type ConnectionMachine = typeof connectionMachine;

/**
 * Public name of a connection state: the `online` wrapper and heartbeat sub-states fold away,
 * and `suspended` (page in the back/forward cache) is `reconnecting` to the outside.
 */
export type ConnectionStateName =
  | 'idle'
  | 'connecting'
  | 'authenticating'
  | 'connected'
  | 'reconnecting'
  | 'closed';

const CONNECTION_STATE_NAMES: readonly ConnectionStateName[] = [
  'idle',
  'connecting',
  'authenticating',
  'connected',
  'reconnecting',
  'closed',
];

export function connectionStateName(snapshot: Tagged): ConnectionStateName {
  return publicStateName(snapshot, CONNECTION_STATE_NAMES, 'idle');
}
