import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
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
 * Property tests over real sockets (`npm run fuzz` runs the same properties much longer).
 * Every frame is answered with a documented code other than INTERNAL, the attacker's session
 * stays open, nothing is reported through onError, and a control client keeps publishing and
 * receiving.
 */
let target: FuzzTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => stopTarget(target));

describe('fuzzed input never crashes, blinds or stalls the server', () => {
  it('frames of a signed-in session: random, batched, deep, mutated, wrong types', async () => {
    await fc.assert(
      fc.asyncProperty(frameText, (text) => fuzzFrame(target, text)),
      { numRuns: 400 },
    );
    await stillServing(target);
  });

  it('first frames of a handshake', async () => {
    await fc.assert(
      fc.asyncProperty(firstFrameText, (text) => fuzzHandshake(target, text)),
      { numRuns: 60 },
    );
    await stillServing(target);
  });

  it('HTTP calls to the transient endpoints', async () => {
    await fc.assert(
      fc.asyncProperty(httpCase, (call) => fuzzHttp(target, call)),
      { numRuns: 150 },
    );
    await stillServing(target);
  });
});
