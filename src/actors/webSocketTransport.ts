import { ABNORMAL_CLOSURE, type Transport, type TransportHandlers } from './transport.js';

/** The part of the WHATWG WebSocket API both the browser's and `ws`'s sockets offer. */
interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: { message?: string; error?: unknown }) => void) | null;
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** `ws`'s own event API: it hands frames over without a MessageEvent per frame. */
interface NodeWebSocket {
  on(event: 'message', listener: (data: { toString(): string }, isBinary: boolean) => void): void;
}

type WebSocketConstructor = new (url: string) => WebSocketLike;

let nodeWebSocket: Promise<WebSocketConstructor> | undefined;

/**
 * The global WebSocket where there is one (browsers, Node 22+), else `ws` loaded on demand,
 * so a browser bundle never needs `ws`.
 */
function webSocketClass(): WebSocketConstructor | Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  nodeWebSocket ??= import('ws').then(
    (mod) => (mod.WebSocket ?? mod.default) as unknown as WebSocketConstructor,
  );
  return nodeWebSocket;
}

const OPEN = 1;

function open(ctor: WebSocketConstructor, url: string, handlers: TransportHandlers) {
  const socket = new ctor(url);
  let lastError = '';
  socket.onopen = () => handlers.open();
  // Binary frames are not part of the protocol.
  if (typeof (socket as Partial<NodeWebSocket>).on === 'function') {
    (socket as unknown as NodeWebSocket).on('message', (data, isBinary) => {
      if (!isBinary) handlers.message(data.toString());
    });
  } else {
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') handlers.message(event.data);
    };
  }
  socket.onerror = (event) => {
    lastError = event.message ?? String((event.error as Error | undefined)?.message ?? 'error');
  };
  socket.onclose = (event) => handlers.close(event.code, event.reason || lastError);
  return socket;
}

/** WebSocket transport: the client's default. */
export function webSocketTransport(): Transport {
  return {
    connect(url: string, handlers: TransportHandlers) {
      const ctor = webSocketClass();
      let socket: WebSocketLike | undefined;
      let closed = false;
      if (typeof ctor === 'function') {
        socket = open(ctor, url, handlers);
      } else {
        ctor.then(
          (loaded) => {
            if (!closed) socket = open(loaded, url, handlers);
          },
          (error: Error) => handlers.close(ABNORMAL_CLOSURE, `cannot load ws: ${error.message}`),
        );
      }
      return {
        send(text: string) {
          if (socket?.readyState === OPEN) socket.send(text);
        },
        close(code?: number, reason?: string) {
          closed = true;
          socket?.close(code, reason);
        },
      };
    },
  };
}
