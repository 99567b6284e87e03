import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** A plain TCP peer that writes what a test tells it and records what it gets back. */
export interface RawPeer {
  socket: Socket;
  /** Everything received so far, as text. */
  received(): string;
  /** Resolves when the server has closed the socket for good. */
  closed: Promise<void>;
  /** Resolves once `text` has been received. */
  receivedText(text: string): Promise<void>;
}

/** Opens a TCP connection to 127.0.0.1:`port` and writes `data` (the slow peer's first bytes). */
export function rawPeer(port: number, data: string): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    // Half-open allowed: a hostile peer does not close its side when the server ends its own.
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let text = '';
    const readers: Array<{ text: string; resolve: () => void }> = [];
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      for (const reader of readers.filter((r) => text.includes(r.text))) {
        readers.splice(readers.indexOf(reader), 1);
        reader.resolve();
      }
    });
    socket.on('error', () => {});
    // The server ended its side. Bytes more tell a socket it closed (answered by a reset, then
    // EPIPE) from one it only half-closed, which stays open to the peer: a slow-loris's win.
    const poke = () => {
      if (!socket.destroyed) socket.write('\r\n', () => setImmediate(poke));
    };
    socket.once('end', poke);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => {
      socket.write(data);
      resolve({
        socket,
        received: () => text,
        closed,
        receivedText: (wanted) =>
          text.includes(wanted)
            ? Promise.resolve()
            : new Promise((done) => readers.push({ text: wanted, resolve: done })),
      });
    });
    socket.once('error', reject);
  });
}

/** The request line and headers of a WebSocket upgrade to `path`, without the final blank line. */
export function upgradeHead(path: string, extra: Record<string, string> = {}): string {
  const headers = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('')}`;
}
