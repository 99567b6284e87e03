import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Pins this process (all its threads) to one core for latency runs; returns the undo. */
export function pinToCore(core: number, pid = process.pid): () => void {
  try {
    execFileSync('taskset', ['-apc', String(core), String(pid)], { stdio: 'ignore' });
  } catch {
    return () => {}; // taskset missing: run unpinned, the ratio is still one run's
  }
  const all = `0-${cpus().length - 1}`;
  return () => execFileSync('taskset', ['-apc', all, String(pid)], { stdio: 'ignore' });
}
