import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { firstFrameText, frameText, httpCase } from './arbitraries.js';
import {
  type FuzzTarget,
  fuzzFrame,
  fuzzHandshake,
  fuzzHttp,
  startTarget,
  stillServing,
  stopTarget,
} from './harness.js';

/*
 * `npm run fuzz`: the properties of fuzz.test.ts for FUZZ_FRAMES inputs (default 100,000):
 * 90% session frames, 6% HTTP calls, 4% handshakes. Prints the heap after GC before and after.
 */
const TOTAL = Number(process.env.FUZZ_FRAMES ?? 100_000);
const CHECK_EVERY = 1_000;

let target: FuzzTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => stopTarget(target));

function heapMiB(): string {
  (globalThis as { gc?: () => void }).gc?.();
  return `${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`;
}

it(`survives ${TOTAL} fuzzed inputs`, async () => {
  const started = Date.now();
  console.log(`heap after GC at start: ${heapMiB()}`);
  const rounds = Math.ceil(TOTAL / CHECK_EVERY);
  for (let round = 0; round < rounds; round++) {
    const seed = Date.now() + round;
    const run = async <T>(
      arbitrary: fc.Arbitrary<T>,
      runs: number,
      check: (v: T) => Promise<void>,
    ) => fc.assert(fc.asyncProperty(arbitrary, check), { numRuns: runs, seed });
    await run(frameText, CHECK_EVERY * 0.9, (text) => fuzzFrame(target, text));
    await run(httpCase, CHECK_EVERY * 0.06, (call) => fuzzHttp(target, call));
    await run(firstFrameText, CHECK_EVERY * 0.04, (text) => fuzzHandshake(target, text));
    await stillServing(target);
    if ((round + 1) % 10 === 0) {
      console.log(
        `${target.count} inputs, ${((Date.now() - started) / 1000).toFixed(0)} s, heap ${heapMiB()}`,
      );
    }
  }
  // What the server holds for the fuzzer (its rooms' history, queues) is part of that heap.
  console.log(`server holds: ${JSON.stringify(target.server.stats())}`);
  console.log(
    `${target.count} inputs in ${((Date.now() - started) / 1000).toFixed(0)} s; heap after GC at end: ${heapMiB()}`,
  );
  expect(target.count).toBeGreaterThanOrEqual(TOTAL);
});
