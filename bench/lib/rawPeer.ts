import WebSocket from 'ws';

export function openRaw(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A 64-byte JSON content, the payload every throughput scenario carries. */
export const CONTENT_64B = { seq: 0, body: 'x'.repeat(40) };
