import type WebSocket from 'ws';
import { startBroker } from '../lib/child.js';
import { openRaw } from '../lib/rawPeer.js';

function signIn(socket: WebSocket, uid: string): Promise<void> {
  return new Promise((resolve) => {
    socket.once('message', () => resolve());
    socket.send(JSON.stringify({ type: 'hello', v: 1, uid }));
  });
}

/** Broker heap per idle signed-in connection (SPEC §10: ≤ 8 KiB), with plain ws clients. */
export async function serverHeap(options: { connections: number }) {
  const broker = await startBroker('statewire.ts');
  const before = await broker.heap();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < options.connections; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, options.connections - i) }, () => openRaw(broker.port)),
    );
    await Promise.all(batch.map((socket, j) => signIn(socket, `idle-${i + j}`)));
    sockets.push(...batch);
  }
  const after = await broker.heap();
  for (const socket of sockets) socket.terminate();
  await broker.stop();
  return {
    connections: options.connections,
    heapPerConnectionBytes: Math.round((after - before) / options.connections),
  };
}
