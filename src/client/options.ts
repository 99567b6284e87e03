import type { ActorOptions, AnyActorLogic } from 'xstate';
import type { Credentials } from '../actors/credentials.js';
import type { ConnectionInput } from '../machines/connection.js';
import type { ClientOptions } from './types.js';

export const CLIENT_DEFAULTS = {
  reconnect: { minDelayMs: 500, maxDelayMs: 20_000, maxAttempts: Number.POSITIVE_INFINITY },
  timeoutMs: 30_000,
  maxBuffered: 1000,
  refreshLeadMs: 5000,
} as const;

/** Options shared by every root actor of one client; `undefined` must not override defaults. */
export function actorOptions(options: ClientOptions): ActorOptions<AnyActorLogic> {
  const shared: ActorOptions<AnyActorLogic> = {};
  if (options.clock) shared.clock = options.clock;
  if (options.inspect) shared.inspect = options.inspect;
  return shared;
}

/** The connection machine's input: policies only, never a credential. */
export function connectionInput(options: ClientOptions, credentials: Credentials): ConnectionInput {
  const heartbeat = options.heartbeat;
  return {
    uid: options.uid,
    auth: {
      mode: credentials.mode,
      refreshLeadMs: options.refreshLeadMs ?? CLIENT_DEFAULTS.refreshLeadMs,
    },
    reconnect:
      options.reconnect === false ? false : { ...CLIENT_DEFAULTS.reconnect, ...options.reconnect },
    heartbeat:
      heartbeat === undefined || heartbeat === false
        ? heartbeat
        : {
            intervalMs: heartbeat.intervalMs,
            timeoutMs: heartbeat.timeoutMs ?? heartbeat.intervalMs,
          },
    timeoutMs: options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    random: options.random,
  };
}
