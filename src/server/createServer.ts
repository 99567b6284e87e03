import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { nanoid } from 'nanoid';
import { WebSocketServer } from 'ws';
import type { Engine, StoredMessage } from '../engines/Engine.js';
import { StatewireError } from '../errors/StatewireError.js';
import { exceedsDepth } from '../protocol/depth.js';
import type { Json } from '../protocol/frames.js';
import { Connection } from './connection.js';
import { BrokerCore } from './core.js';
import type { EventHandler } from './eventHandlers.js';
import { queueEndpoints } from './http/queueEndpoints.js';
import { roomEndpoints } from './http/roomEndpoints.js';
import { HttpRouter } from './http/router.js';
import { transientRoute } from './http/transientRoute.js';
import { resolveOptions, type ServerOptions } from './options.js';

export interface Server {
  /** Resolves once listening. Calling it while started is a no-op. */
  start(): Promise<void>;
  /** Sends `bye` to every client, closes them with 1001, stops listening. Can start again. */
  close(): Promise<void>;
  /** The bound port (after start; a restart reuses it). */
  readonly port: number;
  /** ws://host:port */
  readonly url: string;
  /** http://host:port */
  readonly httpUrl: string;
  readonly engine: Engine;
  /** HTTP routes on the same port (404 when none matches). */
  readonly http: HttpRouter;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Handler for a client event (`'*'` = every event); returns off(). */
  on(event: string, handler: EventHandler): () => void;
  /** Publishes to every member of `room`; a uid as room is a direct message. */
  publish(room: string, event: string, content: Json): Promise<StoredMessage>;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

class StatewireServer implements Server {
  readonly http: HttpRouter;
  private readonly core: BrokerCore;
  private readonly live = new Set<Connection>();
  private port_: number;
  private httpServer: HttpServer | null = null;
  private wss: WebSocketServer | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(options: ServerOptions) {
    const resolved = resolveOptions(options);
    this.core = new BrokerCore(resolved);
    this.port_ = resolved.port;
    this.http = new HttpRouter(resolved.onError);
    this.http.use(transientRoute(this.core, { ...roomEndpoints, ...queueEndpoints }));
  }

  get port(): number {
    return this.port_;
  }

  get url(): string {
    return `ws://${hostForUrl(this.core.options.host)}:${this.port_}`;
  }

  get httpUrl(): string {
    return `http://${hostForUrl(this.core.options.host)}:${this.port_}`;
  }

  get engine(): Engine {
    return this.core.engine;
  }

  get connections(): number {
    return this.live.size;
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

  private async listen(): Promise<void> {
    const { options } = this.core;
    await this.core.engine.start();
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
    });
    const httpServer = createHttpServer((req, res) => {
      void this.http.handle(req, res);
    });
    httpServer.on('upgrade', (req, socket, head) => this.upgrade(wss, req, socket, head));
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(this.port_, options.host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    const address = httpServer.address();
    if (address && typeof address === 'object') this.port_ = address.port;
    this.httpServer = httpServer;
    this.wss = wss;
  }

  private upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    if (this.stopping) {
      refuseUpgrade(socket, '503 Service Unavailable');
      return;
    }
    const allowed = this.core.options.allowedOrigins;
    const origin = req.headers.origin;
    if (allowed && origin !== undefined && !allowed.has(origin)) {
      refuseUpgrade(socket, '403 Forbidden');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new Connection(ws, this.core);
      this.live.add(connection);
      connection.closed.then(() => this.live.delete(connection));
    });
  }

  private async shutdown(): Promise<void> {
    await this.starting?.catch(() => {});
    const httpServer = this.httpServer;
    const wss = this.wss;
    const connections = [...this.live];
    for (const connection of connections) connection.shutdown('server shutting down');
    await Promise.all(connections.map((c) => c.closed));
    wss?.close();
    if (httpServer) {
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    }
    this.httpServer = null;
    this.wss = null;
    await this.core.hub.closeAll();
    await this.core.engine.close();
  }
}

/** The embeddable broker: WebSocket sessions and HTTP routes on one port. */
export function createServer(options: ServerOptions = {}): Server {
  return new StatewireServer(options);
}
