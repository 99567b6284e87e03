import { createServer as createHttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { createServer } from '../../src/server/index.js';
import { SERVER_DEFAULTS } from '../../src/server/options.js';

/**
 * The statewire broker in its own process. argv[2] = port (0 = any). Answers IPC `heap`
 * with its heap after GC (run with --expose-gc), `connections` with its socket count, and
 * `cut` by destroying every TCP socket at once (a network fault: no close frame), and `cpu`
 * with its CPU time so far (µs, user + system).
 */
const http = createHttpServer();
const sockets = new Set<Socket>();
http.on('connection', (socket) => {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
});
const server = createServer({ server: http, heartbeatMs: 60_000 });
await server.start();
await new Promise<void>((resolve) =>
  http.listen(
    { port: Number(process.argv[2] ?? 0), host: '127.0.0.1', backlog: SERVER_DEFAULTS.backlog },
    resolve,
  ),
);
const address = http.address();
process.send?.({ port: address && typeof address === 'object' ? address.port : 0 });

process.on('message', (message) => {
  if (message === 'heap') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    process.send?.({ heap: process.memoryUsage().heapUsed });
  } else if (message === 'connections') {
    process.send?.({ connections: server.connections });
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
