import { createServer as createHttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { createServer, type Server } from '../../src/server/index.js';
import { SERVER_DEFAULTS } from '../../src/server/options.js';

/**
 * The statewire broker in its own process. argv[2] = port (0 = any); argv[3] = `cuttable` to
 * track its TCP sockets (on an http server of its own, listening as the broker's would), which
 * the other runs leave out: it costs heap per connection. Answers IPC `heap` with its heap
 * after GC (run with --expose-gc), `connections` with its socket count, `cpu` with its CPU
 * time so far (µs, user + system), and `cut` (cuttable) by destroying every TCP socket at once
 * (a network fault: no close frame).
 */
const port = Number(process.argv[2] ?? 0);
const sockets = new Set<Socket>();

async function cuttableServer(): Promise<{ server: Server; port: number }> {
  const http = createHttpServer();
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const server = createServer({ server: http, heartbeatMs: 60_000 });
  await server.start();
  const { backlog } = SERVER_DEFAULTS;
  await new Promise<void>((resolve) => http.listen({ port, host: '127.0.0.1', backlog }, resolve));
  const address = http.address();
  return { server, port: address && typeof address === 'object' ? address.port : 0 };
}

async function plainServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ port, heartbeatMs: 60_000 });
  await server.start();
  return { server, port: server.port };
}

const broker = process.argv[3] === 'cuttable' ? await cuttableServer() : await plainServer();
process.send?.({ port: broker.port });

process.on('message', (message) => {
  if (message === 'heap') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    process.send?.({ heap: process.memoryUsage().heapUsed });
  } else if (message === 'connections') {
    process.send?.({ connections: broker.server.connections });
  } else if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpu: user + system });
  } else if (message === 'cut') {
    const count = sockets.size;
    for (const socket of sockets) socket.destroy();
    process.send?.({ cut: count });
  }
});
process.on('SIGTERM', () => process.exit(0));
