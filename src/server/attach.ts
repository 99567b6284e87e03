import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';

/** An app's `http.Server` or `https.Server` the broker shares. */
export type AppServer = HttpServer | HttpsServer;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Where the broker lives in the URL space: `'/'` takes everything. */
export class MountPath {
  readonly path: string;

  constructor(path: string) {
    if (!path.startsWith('/')) throw new TypeError(`path must start with "/": ${path}`);
    this.path = path.replace(/\/+$/, '');
  }

  /** The part of `url` after the path (`'/'` at least), or null when `url` is not under it. */
  rest(url: string): string | null {
    if (!url.startsWith(this.path)) return null;
    const rest = url.slice(this.path.length);
    if (rest === '') return '/';
    if (rest.startsWith('?')) return `/${rest}`;
    return rest.startsWith('/') ? rest : null;
  }
}

export interface Front {
  /** Answers a request under the path; hands any other to `next`. */
  handleRequest(req: IncomingMessage, res: ServerResponse, next: () => void): void;
  /** Takes an upgrade under the path and returns true; false leaves it to the caller. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** An upgrade nobody took: cut after the upgrade deadline unless someone answers it. */
  unclaimedUpgrade(socket: Duplex): void;
}

/**
 * Puts the broker in front of the app's listeners, as socket.io's `attach` does: requests
 * under the path go to the broker, every other one to the 'request' listeners the server had
 * (so create the server with your app's handler before attaching). Upgrades under the path
 * are the broker's; others stay with the app's own 'upgrade' listeners. Returns detach().
 */
export function attach(server: AppServer, front: Front): () => void {
  const appListeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    front.handleRequest(req, res, () => {
      for (const listener of appListeners) listener.call(server, req, res);
    });
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (front.handleUpgrade(req, socket, head)) return;
    // Alone on 'upgrade', do what Node does without listeners: drop it.
    if (server.listenerCount('upgrade') === 1) socket.destroy();
    else front.unclaimedUpgrade(socket);
  };
  server.on('request', onRequest);
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('request', onRequest);
    server.off('upgrade', onUpgrade);
    for (const listener of appListeners) server.on('request', listener);
  };
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** `ws://host:port/path` and `http://…` (wss/https for TLS); the bare origin for path '/'. */
export function urlsOf(
  host: string,
  port: number,
  path: MountPath,
  tls: boolean,
): { url: string; httpUrl: string } {
  const authority = `${hostForUrl(host)}:${port}${path.path}`;
  return tls
    ? { url: `wss://${authority}`, httpUrl: `https://${authority}` }
    : { url: `ws://${authority}`, httpUrl: `http://${authority}` };
}

/** The address an app server listens on, once it does. */
export function addressOf(server: AppServer): { host: string; port: number; tls: boolean } {
  const address = server.address();
  const tls = server instanceof HttpsServer;
  if (address && typeof address === 'object')
    return { host: address.address, port: address.port, tls };
  return { host: '', port: 0, tls };
}
