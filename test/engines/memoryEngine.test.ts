import { describe, expect, it } from 'vitest';
import { memoryEngine } from '../../src/engines/memory/index.js';

/*
 * What only the memory engine does. Everything an engine must do is in the contract suite
 * (test/engines/contract), which runs against memory and Redis alike; the memory engine's
 * bounds are in memoryBounds.test.ts.
 */
describe('memoryEngine', () => {
  it('has a new epoch per instance', () => {
    expect(memoryEngine().epoch).not.toBe(memoryEngine().epoch);
  });

  it('redelivers a delivery whose ack timed out once started', async () => {
    const engine = memoryEngine({ queues: { ackTimeoutMs: 5 } });
    await engine.queues.declare('jobs');
    const attempts: number[] = [];
    let redelivered!: () => void;
    const second = new Promise<void>((resolve) => {
      redelivered = resolve;
    });
    await engine.queues.consume('jobs', 'a', (d) => {
      attempts.push(d.attempt);
      if (d.attempt === 2) redelivered();
    });
    await engine.start();
    await engine.queues.enqueue('jobs', { id: 'm', data: 1 });
    await second;
    await engine.close();
    expect(attempts.slice(0, 2)).toEqual([1, 2]);
  });
});
