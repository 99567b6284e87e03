import { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import { createClient } from '../../src/index.js';
import { type Broker, startBroker } from '../lib/child.js';
import { CONTENT_64B } from '../lib/rawPeer.js';
import { deletePrefix } from '../lib/redisKeys.js';
import { benchRedis } from '../lib/redisServer.js';
import { round } from '../lib/stats.js';

export type ClusterCase = 'memory' | 'redisSameNode' | 'redisAtoB' | 'redis3Nodes';

export interface ClusterResult {
  msgPerSec: number;
  /** Commands Redis ran per published message, those inside scripts included. */
  redisCommandsPerMsg?: number;
  /** Script calls (EVALSHA) per published message: under 1 when publishes share a call. */
  redisScriptCallsPerMsg?: number;
  /** Redis CPU (user + system) per 1,000 published messages, ms. */
  redisCpuMsPer1k?: number;
  /**
   * CPU (user + system) per published message, µs, of each process: the bench process (the
   * clients), each broker in node order, Redis; and their sum.
   */
  cpuUsPerMsg: { bench: number; brokers: number[]; redis?: number; total: number };
}

/**
 * SPEC §10 with the Redis engine: a publisher with `inFlight` acked publishes outstanding and
 * subscribers on the nodes of the case, each broker in its own process. msg/s counts the
 * messages published until every subscriber received all of them.
 */
export async function clusterThroughput(
  which: ClusterCase,
  options: { messages: number; inFlight: number; redisUrl: string },
): Promise<ClusterResult> {
  const prefix = `swbench:${nanoid(6)}`;
  const nodes =
    which === 'memory' ? 1 : which === 'redis3Nodes' ? 3 : which === 'redisAtoB' ? 2 : 1;
  const brokers: Broker[] = [];
  for (let i = 0; i < nodes; i++) {
    brokers.push(
      which === 'memory'
        ? await startBroker('statewire.ts')
        : await startBroker('statewireRedis.ts', ['0', options.redisUrl, prefix]),
    );
  }
  const urls = brokers.map((b) => `ws://127.0.0.1:${b.port}`);
  const subscriberUrls = which === 'redisAtoB' ? [urls[1]] : urls;
  const publisher = createClient({ url: urls[0], lazy: false });
  const subscribers = subscriberUrls.map((url) => createClient({ url, lazy: false }));
  let pending = subscribers.length;
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => {
    allReceived = resolve;
  });
  await Promise.all(
    subscribers.map((subscriber) => {
      let received = 0;
      return subscriber
        .subscribe('bench', () => {
          received += 1;
          if (received === options.messages && --pending === 0) allReceived();
        })
        .ready();
    }),
  );
  await publisher.subscribe('bench').ready();

  const redis = which === 'memory' ? null : new Redis(options.redisUrl);
  const before = redis ? await redisCounters(redis) : null;
  const brokersBefore = await Promise.all(brokers.map((b) => b.cpu()));
  const benchBefore = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < options.messages) {
      next += 1;
      await publisher.publish('bench', 'tick', CONTENT_64B);
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, lane));
  await done;
  const seconds = (performance.now() - started) / 1000;
  const benchCpu = process.cpuUsage(benchBefore);
  const brokersAfter = await Promise.all(brokers.map((b) => b.cpu()));
  const perMsg = (us: number) => round(us / options.messages);
  const cpu: ClusterResult['cpuUsPerMsg'] = {
    bench: perMsg(benchCpu.user + benchCpu.system),
    brokers: brokersAfter.map((after, i) => perMsg(after - brokersBefore[i])),
    total: 0,
  };
  const result: ClusterResult = {
    msgPerSec: Math.round(options.messages / seconds),
    cpuUsPerMsg: cpu,
  };
  if (redis && before) {
    const after = await redisCounters(redis);
    result.redisCommandsPerMsg = round((after.calls - before.calls) / options.messages);
    result.redisScriptCallsPerMsg = round((after.scripts - before.scripts) / options.messages);
    result.redisCpuMsPer1k = round(((after.cpuSec - before.cpuSec) * 1e6) / options.messages);
    cpu.redis = result.redisCpuMsPer1k;
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
  cpu.total = round(cpu.bench + cpu.brokers.reduce((a, b) => a + b, 0) + (cpu.redis ?? 0));
  await Promise.all([publisher, ...subscribers].map((c) => c.disconnect()));
  await Promise.all(brokers.map((b) => b.stop()));
  return result;
}

/**
 * INFO commandstats: every command run (in scripts too), and the script calls among them;
 * INFO cpu: the seconds of CPU Redis used.
 */
async function redisCounters(
  redis: Redis,
): Promise<{ calls: number; scripts: number; cpuSec: number }> {
  const commandstats = await redis.info('commandstats');
  let calls = 0;
  for (const match of commandstats.matchAll(/calls=(\d+)/g)) calls += Number(match[1]);
  const scripts = Number(/cmdstat_evalsha:calls=(\d+)/.exec(commandstats)?.[1] ?? 0);
  const cpu = await redis.info('cpu');
  const cpuSec =
    Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1] ?? 0) +
    Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1] ?? 0);
  return { calls, scripts, cpuSec };
}

const CLUSTER_CASES: readonly ClusterCase[] = [
  'memory',
  'redisSameNode',
  'redisAtoB',
  'redis3Nodes',
];

/**
 * Every case in `rounds` interleaved rounds (the order rotates each round, so a busy moment of
 * the machine does not fall on one case), reported as the round of median msg/s per case.
 */
export async function clusterRounds(
  options: { messages: number; inFlight: number },
  rounds: number,
): Promise<Record<ClusterCase, ClusterResult & { rounds: number[] }>> {
  const results = new Map<ClusterCase, ClusterResult[]>(CLUSTER_CASES.map((c) => [c, []]));
  const redis = await benchRedis();
  const load = { ...options, redisUrl: redis.url };
  try {
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < CLUSTER_CASES.length; k++) {
        const which = CLUSTER_CASES[(k + r) % CLUSTER_CASES.length];
        results.get(which)?.push(await clusterThroughput(which, load));
      }
    }
  } finally {
    await redis.stop();
  }
  const median = (which: ClusterCase) => {
    const runs = results.get(which) ?? [];
    const sorted = [...runs].sort((a, b) => a.msgPerSec - b.msgPerSec);
    return { ...sorted[Math.floor(sorted.length / 2)], rounds: runs.map((run) => run.msgPerSec) };
  };
  return {
    memory: median('memory'),
    redisSameNode: median('redisSameNode'),
    redisAtoB: median('redisAtoB'),
    redis3Nodes: median('redis3Nodes'),
  };
}
