import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { nanoid } from 'nanoid';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { TransportSocket } from '../actors/transport.js';
import { type ClientClock, type Clock, monotonicNow, realClock } from '../api/clock.js';
import { CLOSE } from '../protocol/closeCodes.js';
import { decodeFrame } from '../protocol/codec.js';
import type { ErrorMsg, WelcomeMsg } from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { LinkPeer } from './peer.js';

export interface LinkBindOptions {
  timeoutMs: number;
  /** Announced in `welcome`: the peer pings this often. */
  heartbeatMs: number;
  maxPayload: number;
  clock?: ClientClock;
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function errorFrame(code: ErrorMsg['code'], message: string): string {
  return JSON.stringify({ type: 'error', code, message } satisfies ErrorMsg);
}

/**
 * The bound side of a link: a WebSocket server that takes ONE peer at a time. While a peer is
 * connected (or in its handshake) another upgrade is refused with HTTP 409. The peer's first
 * message must be `hello {v: 1}`, answered with `welcome`; after that both sides exchange
 * `send`/`ping`/`pong`. A peer silent for two heartbeat intervals is cut.
 */
export class LinkListener {
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #clock: Clock;
  readonly #now: () => number;
  /** The raw socket holding the slot, from the upgrade request until it closes. */
  #slot: Duplex | undefined;
  #ws: WebSocket | undefined;
  #closing = false;

  private constructor(
    private readonly peer: LinkPeer,
    private readonly options: LinkBindOptions,
  ) {
    this.#clock = options.clock ?? realClock;
    this.#now = monotonicNow(options.clock);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end('statewire link: WebSocket only');
    });
    this.#http.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
  }

  static async listen(
    host: string,
    port: number,
    peer: LinkPeer,
    options: LinkBindOptions,
  ): Promise<LinkListener> {
    const listener = new LinkListener(peer, options);
    await new Promise<void>((resolve, reject) => {
      listener.#http.once('error', reject);
      listener.#http.listen(port, host, () => {
        listener.#http.off('error', reject);
        resolve();
      });
    });
    return listener;
  }

  get port(): number {
    return (this.#http.address() as { port: number }).port;
  }

  /** Says `bye` to the peer, closes it (1000) and stops listening. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const ws = this.#ws;
    if (ws && ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify({ type: 'bye', reason: 'link closed' }));
      ws.close(CLOSE.NORMAL, 'LINK_CLOSED');
    }
    this.peer.closed('link closed', CLOSE.NORMAL);
    this.#slot?.destroy();
    this.#wss.close();
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
    });
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    if (this.#closing || this.#slot) {
      refuseUpgrade(socket, this.#closing ? '503 Service Unavailable' : '409 Conflict');
      return;
    }
    this.#slot = socket;
    socket.once('close', () => {
      if (this.#slot === socket) this.#slot = undefined;
    });
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  }

  #accept(ws: WebSocket): void {
    this.#ws = ws;
    const { peer, options } = this;
    const clock = this.#clock;
    const wire: TransportSocket = {
      send: (text) => {
        if (ws.readyState === ws.OPEN) ws.send(text);
      },
      close: (code, reason) => ws.close(code, reason),
    };
    let signedIn = false;
    let lastSeen = this.#now();
    let heartbeat: unknown;
    const handshake = clock.setTimeout(
      () => ws.close(CLOSE.POLICY_VIOLATION, 'HANDSHAKE_TIMEOUT'),
      options.timeoutMs,
    );
    const checkHeartbeat = () => {
      if (this.#now() - lastSeen > 2 * options.heartbeatMs) {
        ws.terminate();
        return;
      }
      heartbeat = clock.setTimeout(checkHeartbeat, options.heartbeatMs);
    };
    const refuse = (code: number, reason: string, message: string) => {
      ws.send(errorFrame('BAD_REQUEST', message));
      ws.close(code, reason);
    };
    const signIn = (message: { type: string; v?: unknown }) => {
      if (message.type !== 'hello') {
        return refuse(CLOSE.POLICY_VIOLATION, 'BAD_REQUEST', 'frame before hello');
      }
      if (message.v !== PROTOCOL_VERSION) {
        return refuse(CLOSE.PROTOCOL_ERROR, 'UNSUPPORTED_VERSION', 'unsupported protocol version');
      }
      signedIn = true;
      clock.clearTimeout(handshake);
      heartbeat = clock.setTimeout(checkHeartbeat, options.heartbeatMs);
      peer.outbox.attach(wire);
      peer.outbox.send({
        type: 'welcome',
        v: PROTOCOL_VERSION,
        uid: 'link',
        session: nanoid(),
        heartbeatMs: options.heartbeatMs,
        maxPayload: options.maxPayload,
      } satisfies WelcomeMsg);
      peer.opened();
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      lastSeen = this.#now();
      if (isBinary) return refuse(CLOSE.PROTOCOL_ERROR, 'BAD_REQUEST', 'binary frame');
      let messages: unknown[];
      try {
        messages = decodeFrame(data.toString());
      } catch (error) {
        ws.send(errorFrame('BAD_REQUEST', (error as Error).message));
        return;
      }
      for (const raw of messages) {
        const message = raw as { type: string; v?: unknown };
        if (signedIn) peer.receive(message);
        else signIn(message);
        if (ws.readyState !== ws.OPEN) return;
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      clock.clearTimeout(handshake);
      if (heartbeat !== undefined) clock.clearTimeout(heartbeat);
      if (this.#ws === ws) this.#ws = undefined;
      peer.outbox.detach(wire);
      peer.closed(reason.toString() || 'peer closed', code);
    });
    ws.on('error', () => undefined);
  }
}
