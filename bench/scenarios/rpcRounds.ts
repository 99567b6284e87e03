import { type Latency, percentile, round } from '../lib/stats.js';
import { rawRpc } from './rawRpc.js';
import { statewireRpc } from './statewireRpc.js';

interface RpcLatency extends Latency {
  /** Each round's p50, in run order. */
  roundsP50Ms: number[];
}

/** Medians of the rounds' p50 and p99. */
function summary(runs: Latency[]): RpcLatency {
  const median = (key: keyof Latency) =>
    round(
      percentile(
        runs.map((run) => run[key]),
        50,
      ),
      4,
    );
  return {
    p50Ms: median('p50Ms'),
    p99Ms: median('p99Ms'),
    roundsP50Ms: runs.map((run) => run.p50Ms),
  };
}

/**
 * The raw relay and statewire rpc in `rounds` interleaved rounds, so a busy moment of the
 * machine falls on both; each round after `warmup` unsampled calls. Medians of the rounds.
 */
export async function rpcRounds(options: { calls: number; warmup: number; rounds: number }) {
  const raw: Latency[] = [];
  const statewire: Latency[] = [];
  for (let r = 0; r < options.rounds; r++) {
    raw.push(await rawRpc(options));
    statewire.push(await statewireRpc(options));
  }
  return { raw: summary(raw), statewire: summary(statewire) };
}
