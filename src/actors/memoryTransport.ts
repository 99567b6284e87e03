import { ABNORMAL_CLOSURE, type Transport, type TransportHandlers } from './transport.js';

/** One side of an in-memory connection. Frames arrive on a later microtask, like a socket. */
export interface MemoryEndpoint {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  readonly closed: boolean;
  onmessage?: (text: string) => void;
  onclose?: (code: number, reason: string) => void;
}

class Endpoint implements MemoryEndpoint {
  peer!: Endpoint;
  closed = false;
  onmessage?: (text: string) => void;
  onclose?: (code: number, reason: string) => void;

  send(text: string): void {
    if (this.closed) return;
    const peer = this.peer;
    queueMicrotask(() => {
      if (!peer.closed) peer.onmessage?.(text);
    });
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.peer.closeFromPeer(code, reason);
    queueMicrotask(() => this.onclose?.(code, reason));
  }

  private closeFromPeer(code: number, reason: string): void {
    // Frames already sent are delivered before the close, as on a real socket.
    queueMicrotask(() => {
      if (this.closed) return;
      this.closed = true;
      this.onclose?.(code, reason);
    });
  }
}

function pair(): [Endpoint, Endpoint] {
  const a = new Endpoint();
  const b = new Endpoint();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Two connected endpoints. */
export function createMemoryPair(): [MemoryEndpoint, MemoryEndpoint] {
  return pair();
}

/**
 * A transport whose connections end in `accept` (the server side). When `accept` returns
 * false the connection is refused, as an unreachable server would.
 */
export function memoryTransport(
  accept: (server: MemoryEndpoint, url: string) => boolean | undefined,
): Transport {
  return {
    connect(url: string, handlers: TransportHandlers) {
      const [client, server] = pair();
      client.onmessage = (text) => handlers.message(text);
      client.onclose = (code, reason) => handlers.close(code, reason);
      queueMicrotask(() => {
        if (client.closed) return;
        if (accept(server, url) === false) {
          client.closed = true;
          server.closed = true;
          handlers.close(ABNORMAL_CLOSURE, 'connection refused');
          return;
        }
        handlers.open();
      });
      return client;
    },
  };
}
