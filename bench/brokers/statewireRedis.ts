import { createServer, redisEngine } from '../../src/server/index.js';

/**
 * One statewire node on the Redis engine, in its own process. argv: port, redis url, prefix,
 * history size (default 1000), lease ms (default 10 s). Answers IPC `cpu` with its CPU time so
 * far (µs, user + system).
 */
const [port, url, prefix, historySize, leaseMs] = process.argv.slice(2);
const server = createServer({
  port: Number(port ?? 0),
  heartbeatMs: 60_000,
  engine: redisEngine({
    url: url ?? 'redis://127.0.0.1:6379',
    prefix,
    history: { size: Number(historySize ?? 1000) },
    leaseMs: Number(leaseMs ?? 10_000),
  }),
});
await server.start();
process.send?.({ port: server.port });
process.on('message', (message) => {
  if (message !== 'cpu') return;
  const { user, system } = process.cpuUsage();
  process.send?.({ cpu: user + system });
});
process.on('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
