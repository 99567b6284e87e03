import { type ErrorCode, isErrorCode, RECOVERABLE } from '../errors/codes.js';
import { CLOSE } from '../protocol/closeCodes.js';

/** Reconnect policy: exponential backoff with full jitter, reset after each sign-in. */
export interface ReconnectPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

export interface HeartbeatPolicy {
  intervalMs: number;
  timeoutMs: number;
}

/** Why an attempt or a session ended; `fatal` failures are never retried. */
export interface ConnectionFailure {
  code: ErrorCode;
  message: string;
  fatal: boolean;
}

/** Full jitter: a random delay in [0, min(max, min * 2^attempt)]. */
export function backoffDelay(attempt: number, policy: ReconnectPolicy, random: () => number) {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

const DEFAULT_HEARTBEAT_MS = 25_000;

/** The client's heartbeat policy, else one at the server's announced interval. */
export function heartbeatOf(context: {
  heartbeat?: HeartbeatPolicy | false;
  serverHeartbeatMs?: number;
}): HeartbeatPolicy {
  if (context.heartbeat) return context.heartbeat;
  const ms = context.serverHeartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  return { intervalMs: ms, timeoutMs: ms };
}

/** Reads a close frame: 1008 carries an error code as reason, 1002 means we spoke wrongly. */
export function failureFromClose(code: number, reason: string, opened: boolean): ConnectionFailure {
  if (code === CLOSE.POLICY_VIOLATION && isErrorCode(reason)) {
    return { code: reason, message: `closed by server: ${reason}`, fatal: !RECOVERABLE[reason] };
  }
  if (code === CLOSE.PROTOCOL_ERROR) {
    return { code: 'BAD_REQUEST', message: `protocol error: ${reason}`, fatal: true };
  }
  if (!opened) {
    return { code: 'UNAVAILABLE', message: `cannot connect: ${reason || code}`, fatal: false };
  }
  return { code: 'DISCONNECTED', message: `connection lost: ${reason || code}`, fatal: false };
}
