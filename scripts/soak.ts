/*
 * Churn soak (issue 9): lanes of clients connect, subscribe, publish, rpc and disconnect, each
 * cycle under a new uid, for SOAK_MS (default 30 s). Then every client is gone, uid claims are
 * let expire (a 1 s ttl here) and the heap after GC (code spaces aside) is compared
 * with the heap after a warm-up that filled every bounded structure. Exits 1 when it stays
 * more than SOAK_SLACK_KIB (default 512) above that baseline.
 * Run: npm run soak
 */

import v8 from 'node:v8';
import { memoryEngine } from '../src/engines/memory/index.js';
import { createClient } from '../src/index.js';
import { createServer } from '../src/server/index.js';

const SOAK_MS = Number(process.env.SOAK_MS ?? 30_000);
const WARM_MS = Number(process.env.SOAK_WARM_MS ?? 8_000);
const LANES = Number(process.env.SOAK_LANES ?? 30);
const SLACK_KIB = Number(process.env.SOAK_SLACK_KIB ?? 512);
const CLAIM_TTL_MS = 1_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run soak does)');

const engine = memoryEngine({
  // Small bounds, so the warm-up fills them and the baseline holds them full.
  history: { size: 10 },
  dedupeWindow: 100,
  queues: { dedupeWindow: 100 },
  uidClaims: { ttlMs: CLAIM_TTL_MS },
});
const server = createServer({
  port: 0,
  engine,
  tempQueueGraceMs: 20,
  onError: (e, where) => {
    console.error('server error', where, e);
    process.exitCode = 1;
  },
});
await server.start();

const worker = createClient({ url: server.url, uid: 'worker' });
await worker.registerQueue('work', (job) => job.data);

let cycles = 0;
let errors = 0;

async function cycle(lane: number, uid: string): Promise<void> {
  const client = createClient({ url: server.url, uid, reconnect: false });
  try {
    const room = `lane-${lane}`;
    const sub = client.subscribe(room);
    await sub.ready();
    const got = new Promise((resolve) => sub.on('message', resolve));
    await client.publish(room, 'tick', { lane, n: cycles });
    await got;
    await client.rpc('work', { lane }, { timeoutMs: 5000 });
    cycles++;
  } catch (error) {
    errors++;
    if (errors <= 5) console.error('cycle failed:', error);
  } finally {
    await client.disconnect();
  }
}

/** Cycles every lane for `ms`, and at least `minCycles` times. */
async function churn(
  ms: number,
  minCycles: number,
  uidOf: (lane: number, n: number) => string,
): Promise<void> {
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      for (let n = 0; n < minCycles || Date.now() < until; n++) await cycle(lane, uidOf(lane, n));
    }),
  );
}

/** Heap in use outside the code spaces: what the JIT compiles meanwhile is not held state. */
function dataHeap(): number {
  let used = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (!space.space_name.startsWith('code')) used += space.space_used_size;
  }
  return used;
}

/** Data heap after GC once every client has gone and what they left behind had time to go. */
async function settledHeap(): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    // Temporary reply queues go after their grace (20 ms); closing sockets finish.
    await new Promise((resolve) => setTimeout(resolve, 200));
    gc?.();
    least = Math.min(least, dataHeap());
  }
  return least;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

// Enough cycles per lane to fill its room's history (10) and the dedupe windows (100).
await churn(WARM_MS, 20, (lane, n) => `warm-${lane}-${n % 3}`);
await new Promise((resolve) => setTimeout(resolve, CLAIM_TTL_MS));
const baseline = await settledHeap();
const warmCycles = cycles;
console.log(
  `warm-up: ${warmCycles} cycles, baseline heap ${kib(baseline)}, history ${kib(engine.historyBytes())}`,
);

await churn(SOAK_MS, 0, (lane, n) => `soak-${lane}-${n}-${Math.random().toString(36).slice(2, 8)}`);
const soakCycles = cycles - warmCycles;
const before = dataHeap();
await new Promise((resolve) => setTimeout(resolve, CLAIM_TTL_MS));
const after = await settledHeap();
const grown = after - baseline;
console.log(
  `soak: ${soakCycles} cycles with a new uid each (${errors} errors) in ${SOAK_MS / 1000} s; ` +
    `heap ${kib(before)} right after, ${kib(after)} settled: ${grown >= 0 ? '+' : ''}${kib(grown)} ` +
    `against the baseline; connections ${server.connections}, history ${kib(engine.historyBytes())}`,
);

await worker.disconnect();
await server.close();
if (errors > 0 || grown > SLACK_KIB * 1024) {
  console.error(
    `FAILED: ${errors} errors, heap ${kib(grown)} above baseline (slack ${SLACK_KIB} KiB)`,
  );
  process.exitCode = 1;
}
