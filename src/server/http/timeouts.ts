import type { IncomingMessage, ServerOptions as NodeHttpOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Clock } from '../options.js';
import { sendJson } from './router.js';

/** Deadlines that keep a slow or silent HTTP peer (slow-loris) from holding a socket. */
export interface HttpTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  upgradeTimeoutMs: number;
}

/** Node checks its header and request deadlines on this tick, never slower than 1 s. */
function checkingIntervalOf(timeouts: HttpTimeouts): number {
  const shortest = Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs);
  return Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
}

/** The deadlines Node's own http server enforces (the broker's own server only). */
export function nodeServerTimeouts(timeouts: HttpTimeouts): NodeHttpOptions {
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkingIntervalOf(timeouts),
  };
}

/**
 * Cuts a request whose body has not fully arrived `ms` after the broker got it: 408 when
 * nothing was answered yet, then the socket goes (an app's server may allow far longer).
 */
export function bodyDeadline(
  req: IncomingMessage,
  res: ServerResponse,
  clock: Clock,
  ms: number,
): void {
  if (req.complete) return;
  const timer = clock.setTimeout(() => {
    if (req.complete) return;
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    const error = { code: 'TIMEOUT', message: `request body not received within ${ms} ms` };
    sendJson(res, 408, { error }, { connection: 'close' });
    res.once('finish', () => req.socket.destroy());
  }, ms);
  const done = () => clock.clearTimeout(timer);
  req.once('end', done);
  res.once('close', done);
}

/**
 * An upgrade request left to other listeners (the app's) that nobody has answered within `ms`
 * is cut: with a listener of ours on 'upgrade', Node no longer destroys unclaimed upgrades.
 */
export function upgradeDeadline(
  socket: Duplex & { bytesWritten?: number },
  clock: Clock,
  ms: number,
) {
  const timer = clock.setTimeout(() => {
    if (!socket.destroyed && !socket.bytesWritten) socket.destroy();
  }, ms);
  socket.once('close', () => clock.clearTimeout(timer));
}

/** Answers an upgrade with an HTTP status and closes the socket once that is written. */
export function refuseUpgrade(socket: Duplex, status: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
