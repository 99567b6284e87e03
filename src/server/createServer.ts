import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { nanoid } from 'nanoid';
import { WebSocketServer } from 'ws';
import type { Engine, StoredMessage } from '../engines/Engine.js';
import { StatewireError } from '../errors/StatewireError.js';
import { exceedsDepth } from '../protocol/depth.js';
import type { Json } from '../protocol/frames.js';
import { addressOf, attach, urlsOf } from './attach.js';
import { Connection } from './connection.js';
import { BrokerCore } from './core.js';
import type { EventHandler } from './eventHandlers.js';
import { type FrontOptions, resolveFront } from './frontOptions.js';
import { queueEndpoints } from './http/queueEndpoints.js';
import { roomEndpoints } from './http/roomEndpoints.js';
import { HttpRouter, sendJson } from './http/router.js';
import {
  bodyDeadline,
  nodeServerTimeouts,
  refuseUpgrade,
  upgradeDeadline,
} from './http/timeouts.js';
import { transientRoute } from './http/transientRoute.js';
import { resolveOptions, type ServerOptions } from './options.js';
import { type ServerStats, statsOf } from './stats.js';

export interface Server {
  /**
   * Resolves once listening (with an app's `server` or `noServer`: once the broker takes
   * requests; it never listens then). Calling it while started is a no-op.
   */
  start(): Promise<void>;
  /**
   * Sends `bye` to every client, closes them with 1001, stops listening (an app's `server` is
   * left open, only the broker's listeners leave it). Can start again.
   */
  close(): Promise<void>;
  /** The bound port (after start; a restarted server reuses it), or the app server's port. */
  readonly port: number;
  /** ws://host:port/path (wss:// on an `https.Server`); throws with `noServer`. */
  readonly url: string;
  /** http://host:port/path (https:// on an `https.Server`); throws with `noServer`. */
  readonly httpUrl: string;
  /**
   * Request handler for frameworks (`app.use(server.handleRequest)`, or a plain
   * `http.createServer`): answers requests under `path` and calls `next()` for any other
   * (404 without `next`). The broker must be started.
   */
  readonly handleRequest: (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;
  /**
   * Upgrade handler (`httpServer.on('upgrade', …)`): takes a WebSocket upgrade under `path`
   * and returns true; returns false, untouched, for any other, to hand it on.
   */
  readonly handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  readonly engine: Engine;
  /** HTTP routes on the same port (404 when none matches). */
  readonly http: HttpRouter;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Connections, sessions, rooms, queue consumers and history bytes, right now. */
  stats(): ServerStats;
  /** Handler for a client event (`'*'` = every event); returns off(). */
  on(event: string, handler: EventHandler): () => void;
  /** Publishes to every member of `room`; a uid as room is a direct message. */
  publish(room: string, event: string, content: Json): Promise<StoredMessage>;
}

/** Express keeps the full URL in `originalUrl` when a handler is mounted under a prefix. */
function fullUrlOf(req: IncomingMessage): string {
  return (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
}

/** An upgraded socket's errors end in a close the connection handles. */
function ignoreSocketError(): void {}
class StatewireServer implements Server {
  readonly http: HttpRouter;
  private readonly core: BrokerCore;
  private readonly front: FrontOptions;
  private readonly live = new Set<Connection>();
  /** One callback for every connection that closes (no closure per connection). */
  private readonly forget = (closed: Connection): void => {
    this.live.delete(closed);
  };
  private port_: number;
  private httpServer: HttpServer | null = null;
  private detach: (() => void) | null = null;
  private wss: WebSocketServer | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(options: ServerOptions) {
    this.front = resolveFront(options);
    const resolved = resolveOptions(options);
    this.core = new BrokerCore(resolved);
    this.port_ = resolved.port;
    this.http = new HttpRouter(resolved.onError);
    this.http.use(transientRoute(this.core, { ...roomEndpoints, ...queueEndpoints }));
  }

  get port(): number {
    const { mode } = this.front;
    return mode.kind === 'app' ? addressOf(mode.server).port : this.port_;
  }

  get url(): string {
    return this.urls().url;
  }

  get httpUrl(): string {
    return this.urls().httpUrl;
  }

  private urls(): { url: string; httpUrl: string } {
    const { mode, path } = this.front;
    if (mode.kind === 'none') throw new Error('noServer: the broker has no address of its own');
    if (mode.kind === 'own') return urlsOf(this.core.options.host, this.port_, path, false);
    const { host, port, tls } = addressOf(mode.server);
    return urlsOf(host, port, path, tls);
  }

  get engine(): Engine {
    return this.core.engine;
  }

  get connections(): number {
    return this.live.size;
  }

  stats(): ServerStats {
    return statsOf(this.core, this.live);
  }

  on(event: string, handler: EventHandler): () => void {
    return this.core.handlers.on(event, handler);
  }

  publish(room: string, event: string, content: Json): Promise<StoredMessage> {
    if (exceedsDepth(content, this.core.options.maxDepth)) {
      const message = `content is nested deeper than ${this.core.options.maxDepth} levels`;
      return Promise.reject(new StatewireError('BAD_REQUEST', message));
    }
    return this.core.engine.publish({ room, event, content: content ?? null, id: nanoid() });
  }

  async start(): Promise<void> {
    await this.stopping;
    this.starting ??= this.listen().catch((error) => {
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  async close(): Promise<void> {
    if (!this.starting) return;
    this.stopping ??= this.shutdown().finally(() => {
      this.stopping = null;
      this.starting = null;
    });
    return this.stopping;
  }

  readonly handleRequest = (req: IncomingMessage, res: ServerResponse, next?: () => void): void => {
    const rest = this.front.path.rest(fullUrlOf(req));
    if (rest === null) {
      if (next) next();
      else sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
      return;
    }
    if (!this.wss) {
      sendJson(res, 503, { error: { code: 'UNAVAILABLE', message: 'broker not started' } });
      return;
    }
    bodyDeadline(req, res, this.core.options.clock, this.front.timeouts.requestTimeoutMs);
    req.url = rest;
    void this.http.handle(req, res);
  };

  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    if (this.front.path.rest(req.url ?? '/') === null) return false;
    socket.on('error', ignoreSocketError);
    const wss = this.wss;
    if (this.stopping || !wss) {
      refuseUpgrade(socket, '503 Service Unavailable');
      return true;
    }
    const allowed = this.core.options.allowedOrigins;
    const origin = req.headers.origin;
    if (allowed && origin !== undefined && !allowed.has(origin)) {
      refuseUpgrade(socket, '403 Forbidden');
      return true;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      this.live.add(new Connection(ws, this.core, this.forget));
    });
    return true;
  };

  private async listen(): Promise<void> {
    const { options } = this.core;
    await this.core.engine.start();
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
    });
    const { mode } = this.front;
    if (mode.kind === 'own') await this.listenOwn();
    this.wss = wss;
    if (mode.kind === 'app') {
      const { clock } = options;
      const { upgradeTimeoutMs } = this.front.timeouts;
      this.detach = attach(mode.server, {
        handleRequest: this.handleRequest,
        handleUpgrade: this.handleUpgrade,
        unclaimedUpgrade: (socket) => upgradeDeadline(socket, clock, upgradeTimeoutMs),
      });
    }
  }

  private async listenOwn(): Promise<void> {
    const httpServer = createHttpServer(nodeServerTimeouts(this.front.timeouts), (req, res) =>
      this.handleRequest(req, res),
    );
    httpServer.on('upgrade', (req, socket, head) => {
      if (!this.handleUpgrade(req, socket, head)) refuseUpgrade(socket, '404 Not Found');
    });
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      const { host, backlog } = this.core.options;
      httpServer.listen({ port: this.port_, host, backlog }, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    const address = httpServer.address();
    if (address && typeof address === 'object') this.port_ = address.port;
    this.httpServer = httpServer;
  }

  private async shutdown(): Promise<void> {
    await this.starting?.catch(() => {});
    const httpServer = this.httpServer;
    const wss = this.wss;
    const connections = [...this.live];
    for (const connection of connections) connection.shutdown('server shutting down');
    await Promise.all(connections.map((c) => c.whenClosed()));
    wss?.close();
    this.detach?.();
    if (httpServer) {
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    }
    this.httpServer = null;
    this.detach = null;
    this.wss = null;
    await this.core.hub.closeAll();
    await this.core.engine.close();
  }
}

/** The embeddable broker: WebSocket sessions and HTTP routes on one port. */
export function createServer(options: ServerOptions = {}): Server {
  return new StatewireServer(options);
}
