import { type AppServer, MountPath } from './attach.js';
import type { HttpTimeouts } from './http/timeouts.js';
import type { ServerOptions } from './options.js';

/** How the broker meets HTTP: its own server, an app's server, or only handlers. */
export type FrontMode = { kind: 'own' } | { kind: 'app'; server: AppServer } | { kind: 'none' };

export interface FrontOptions {
  mode: FrontMode;
  path: MountPath;
  timeouts: HttpTimeouts;
}

export const FRONT_DEFAULTS: HttpTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  upgradeTimeoutMs: 10_000,
};

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value > 0))
    throw new TypeError(`${name} must be a positive integer`);
  return value;
}

export function resolveFront(options: ServerOptions): FrontOptions {
  if (options.server && options.noServer)
    throw new TypeError('server and noServer exclude each other');
  if (
    (options.server || options.noServer) &&
    (options.port !== undefined || options.host !== undefined || options.backlog !== undefined)
  ) {
    throw new TypeError(
      'host, port and backlog are for the broker’s own server; not with server or noServer',
    );
  }
  const mode: FrontMode = options.server
    ? { kind: 'app', server: options.server }
    : options.noServer
      ? { kind: 'none' }
      : { kind: 'own' };
  const timeouts: HttpTimeouts = {
    headersTimeoutMs: positive(
      options.headersTimeoutMs,
      'headersTimeoutMs',
      FRONT_DEFAULTS.headersTimeoutMs,
    ),
    requestTimeoutMs: positive(
      options.requestTimeoutMs,
      'requestTimeoutMs',
      FRONT_DEFAULTS.requestTimeoutMs,
    ),
    keepAliveTimeoutMs: positive(
      options.keepAliveTimeoutMs,
      'keepAliveTimeoutMs',
      FRONT_DEFAULTS.keepAliveTimeoutMs,
    ),
    upgradeTimeoutMs: positive(
      options.upgradeTimeoutMs,
      'upgradeTimeoutMs',
      FRONT_DEFAULTS.upgradeTimeoutMs,
    ),
  };
  // Node refuses a headers deadline past the whole request's (at start(), less clearly).
  if (mode.kind === 'own' && timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) {
    throw new TypeError('headersTimeoutMs must not exceed requestTimeoutMs');
  }
  return { mode, path: new MountPath(options.path ?? '/'), timeouts };
}
