import { createServer } from '../../src/server/index.js';

/**
 * The statewire broker in its own process. argv[2] = port (0 = any). Answers IPC `heap`
 * with its heap after GC (run with --expose-gc) and `connections` with its socket count.
 */
const server = createServer({ port: Number(process.argv[2] ?? 0), heartbeatMs: 60_000 });
await server.start();
process.send?.({ port: server.port });

process.on('message', (message) => {
  if (message === 'heap') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    process.send?.({ heap: process.memoryUsage().heapUsed });
  } else if (message === 'connections') {
    process.send?.({ connections: server.connections });
  }
});
process.on('SIGTERM', () => process.exit(0));
