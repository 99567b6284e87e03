import type WebSocket from 'ws';
import { startBroker } from '../lib/child.js';
import { openRaw } from '../lib/rawPeer.js';

function signIn(socket: WebSocket, uid: string): Promise<void> {
  return new Promise((resolve) => {
    socket.once('message', () => resolve());
    socket.send(JSON.stringify({ type: 'hello', v: 1, uid }));
  });
}

async function openSignedIn(port: number, count: number, prefix: string): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, () => openRaw(port)),
    );
    await Promise.all(batch.map((socket, j) => signIn(socket, `${prefix}-${i + j}`)));
    sockets.push(...batch);
  }
  return sockets;
}

/**
 * Broker heap per idle signed-in connection (SPEC §10: ≤ 8 KiB), with plain ws clients. The
 * first 100 connections warm the broker up (its compiled code, pools and maps are not per
 * connection); the figure is what each of the next `connections` adds.
 */
export async function serverHeap(options: { connections: number }) {
  const broker = await startBroker('statewire.ts');
  const warm = await openSignedIn(broker.port, 100, 'warm');
  const before = await broker.heap();
  const sockets = await openSignedIn(broker.port, options.connections, 'idle');
  const after = await broker.heap();
  for (const socket of [...warm, ...sockets]) socket.terminate();
  await broker.stop();
  return {
    connections: options.connections,
    heapPerConnectionBytes: Math.round((after - before) / options.connections),
  };
}
