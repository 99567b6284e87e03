/** Percentile of an unsorted sample (nearest rank). */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export interface Latency {
  p50Ms: number;
  p99Ms: number;
}

/** Times `calls` sequential calls after `warmup` unsampled ones: their p50 and p99, ms. */
export async function timeCalls(
  call: () => Promise<unknown>,
  options: { calls: number; warmup: number },
): Promise<Latency> {
  for (let i = 0; i < options.warmup; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < options.calls; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return { p50Ms: round(percentile(samples, 50), 4), p99Ms: round(percentile(samples, 99), 4) };
}
