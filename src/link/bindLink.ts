import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { nanoid } from 'nanoid';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import type { TransportSocket } from '../actors/transport.js';
import type { ClientClock } from '../client/clock.js';
import { type LinkSessionEvent, linkSessionMachine } from '../machines/linkSession.js';
import { CLOSE } from '../protocol/closeCodes.js';
import { decodeFrame, isMessageShaped } from '../protocol/codec.js';
import type { ByeMsg, ErrorMsg, WelcomeMsg } from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { LinkPeer } from './peer.js';

export interface LinkBindOptions {
  timeoutMs: number;
  /** Announced in `welcome`: the peer pings this often. */
  heartbeatMs: number;
  maxPayload: number;
  clock?: ClientClock;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function errorFrame(message: string): string {
  return JSON.stringify({ type: 'error', code: 'BAD_REQUEST', message } satisfies ErrorMsg);
}

function refusal(code: number, reason: string, message: string): LinkSessionEvent {
  return { type: 'REFUSE', code, reason, message };
}

function notAMessage(item: unknown): string {
  return `not a message: ${JSON.stringify(item)?.slice(0, 64)}`;
}

/** What the first message of a peer means: `hello {v: 1}` or a refusal. */
function helloEvent(item: unknown): LinkSessionEvent {
  if (!isMessageShaped(item) || item.type !== 'hello') {
    return refusal(CLOSE.POLICY_VIOLATION, 'BAD_REQUEST', 'frame before hello');
  }
  const { v } = item as { v?: unknown };
  if (v !== PROTOCOL_VERSION) {
    return refusal(
      CLOSE.PROTOCOL_ERROR,
      'UNSUPPORTED_VERSION',
      `unsupported protocol version ${String(v)}`,
    );
  }
  return { type: 'HELLO' };
}

/**
 * The bound side of a link: a WebSocket server that takes ONE peer at a time. While a peer is
 * connected (or in its handshake) another upgrade is refused with HTTP 409. Each peer's
 * lifecycle (handshake timeout, `welcome`, silence check, close) is a `linkSession` actor;
 * its frames go to plain code (`LinkPeer`).
 */
export class LinkListener {
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  /** The raw socket holding the slot, from the upgrade request until it closes. */
  #slot: Duplex | undefined;
  #session: Actor<typeof linkSessionMachine> | undefined;
  #closing = false;

  private constructor(
    private readonly peer: LinkPeer,
    private readonly options: LinkBindOptions,
  ) {
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
    this.#session?.send({ type: 'CLOSE' });
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
    const { peer, options } = this;
    const wire: TransportSocket = {
      send: (text) => {
        if (ws.readyState === ws.OPEN) ws.send(text);
      },
      close: (code, reason) => ws.close(code, reason),
    };
    const activity = { count: 0 };
    const session = createActor(
      linkSessionMachine.provide({
        actions: {
          welcome: () => {
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
          },
          sendError: (_, { message }) => wire.send(errorFrame(message)),
          sayBye: () =>
            wire.send(JSON.stringify({ type: 'bye', reason: 'link closed' } satisfies ByeMsg)),
          closeSocket: (_, { code, reason }) => ws.close(code, reason),
          cut: () => ws.terminate(),
        },
      }),
      {
        id: 'linkSession',
        input: {
          handshakeTimeoutMs: options.timeoutMs,
          heartbeatMs: options.heartbeatMs,
          activity,
        },
        ...(options.clock && { clock: options.clock }),
        ...(options.inspect && { inspect: options.inspect }),
      },
    );
    this.#session = session;
    const signedIn = () => session.getSnapshot().matches({ open: 'signedIn' });

    // The data path: the machine hears only about the handshake and protocol breaks.
    ws.on('message', (data: RawData, isBinary: boolean) => {
      activity.count++;
      if (isBinary) {
        session.send(
          refusal(CLOSE.PROTOCOL_ERROR, 'BAD_REQUEST', 'binary frames are not supported'),
        );
        return;
      }
      let items: unknown[];
      try {
        items = decodeFrame(data.toString());
      } catch (error) {
        const { message } = error as Error;
        if (signedIn()) wire.send(errorFrame(message));
        else session.send(refusal(CLOSE.POLICY_VIOLATION, 'BAD_REQUEST', message));
        return;
      }
      for (const item of items) {
        const state = session.getSnapshot();
        if (state.matches({ open: 'awaitingHello' })) session.send(helloEvent(item));
        else if (!state.matches({ open: 'signedIn' })) return;
        else if (isMessageShaped(item)) peer.receive(item);
        else wire.send(errorFrame(notAMessage(item)));
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      session.send({ type: 'SOCKET_CLOSED' });
      if (this.#session === session) this.#session = undefined;
      peer.outbox.detach(wire);
      peer.closed(reason.toString() || 'peer closed', code);
    });
    ws.on('error', () => undefined);
    session.start();
  }
}
