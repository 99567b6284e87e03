import { percentile, round } from '../lib/stats.js';
import { rawRpc } from './rawRpc.js';
import { statewireRpc } from './statewireRpc.js';

export interface RpcLatency {
  p50Ms: number;
  p99Ms: number;
  /** Each round's p50, in run order. */
  roundsP50Ms: number[];
}

/**
 * The raw relay and statewire rpc in `rounds` interleaved rounds, so a busy moment of the
 * machine falls on both; each round after `warmup` unsampled calls. Medians of the rounds.
 */
export async function rpcRounds(options: { calls: number; warmup: number; rounds: number }) {
  const raw: Array<{ p50Ms: number; p99Ms: number }> = [];
  const statewire: Array<{ p50Ms: number; p99Ms: number }> = [];
  for (let r = 0; r < options.rounds; r++) {
    raw.push(await rawRpc(options));
    statewire.push(await statewireRpc(options));
  }
  const summary = (runs: Array<{ p50Ms: number; p99Ms: number }>): RpcLatency => ({
    p50Ms: round(
      percentile(
        runs.map((run) => run.p50Ms),
        50,
      ),
      4,
    ),
    p99Ms: round(
      percentile(
        runs.map((run) => run.p99Ms),
        50,
      ),
      4,
    ),
    roundsP50Ms: runs.map((run) => run.p50Ms),
  });
  return { raw: summary(raw), statewire: summary(statewire) };
}
