import { spawn } from 'node:child_process';
import { freePort } from './port.js';

export interface BenchRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * The Redis a benchmark runs on: STATEWIRE_BENCH_REDIS_URL if set, else a redis-server of its
 * own (no persistence, a free loopback port), so that INFO counts only the benchmark's commands
 * and CPU and nobody else's commands queue in front of its scripts.
 */
export async function benchRedis(): Promise<BenchRedis> {
  const given = process.env.STATEWIRE_BENCH_REDIS_URL;
  if (given) return { url: given, stop: async () => {} };
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('Ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('exit', () => reject(new Error(`redis-server exited: ${seen}`)));
  });
  child.stdout.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
