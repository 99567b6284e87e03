import type { ErrorCode } from '../errors/codes.js';
import type { ConnectionContext, ConnectionStateName } from '../machines/connection.js';
import type { ServerMessage } from '../protocol/frames.js';
import type { Calls, Phase } from './calls.js';
import type { Queues } from './queues.js';
import type { Rooms } from './rooms.js';

/** Why the client stopped, as the data path passes it on to what it settles. */
export interface StopFailure {
  code: ErrorCode;
  message: string;
}

/**
 * What the subscriptions and the queue consumers do as the connection comes and goes: the
 * one interface the client iterates instead of telling each of them by hand.
 */
export interface ConnectionFollower {
  /** Signed in: (re)subscribe, (re)register. */
  goOnline(): void;
  /** The socket was lost after sign-in; a reconnect is coming. */
  goOffline(): void;
  /** Idle or closed: settle everything. */
  stop(failure?: StopFailure): void;
}

/** Where the client stands for its calls, from the connection's state (see `Phase`). */
export function phaseOf(state: ConnectionStateName, context: ConnectionContext): Phase {
  if (state === 'connected') return 'online';
  if (state === 'idle' || state === 'closed') return 'stopped';
  return context.signedInOnce ? 'reconnecting' : 'starting';
}

/** Hands each frame from the server to the part of the data path it is for. */
export function routeServerMessage(
  message: ServerMessage,
  to: { calls: Calls; rooms: Rooms; queues: Queues },
) {
  switch (message.type) {
    case 'msg':
      return to.rooms.deliver(message);
    case 'msgs':
      return to.rooms.deliverRun(message);
    case 'qmsg':
      return to.queues.deliver(message);
    case 'res':
      return to.calls.onResponse(
        message.id,
        'data' in message ? message.data : undefined,
        'error' in message ? message.error : undefined,
      );
    case 'acks':
      return to.calls.onAcks(message);
    case 'error':
      if (message.id !== undefined) {
        to.calls.onResponse(message.id, undefined, {
          code: message.code,
          message: message.message,
        });
      }
      return;
    case 'pong':
      return to.calls.onPong(message.id);
    case 'join':
    case 'leave':
      return to.rooms.presence(message);
    default:
      return;
  }
}
