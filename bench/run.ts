/**
 * `npm run bench`: every SPEC §10 measure in one run, statewire next to raw `ws` doing the
 * same work, reported as ratios. Writes bench/results/latest.json and latest.svg.
 * Timings swing 2–4× between runs on a shared machine: compare the ratios of one run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { barChart } from './lib/chart.js';
import { round } from './lib/stats.js';
import { clusterThroughput } from './scenarios/clusterThroughput.js';
import { rawRpc } from './scenarios/rawRpc.js';
import { rawThroughput } from './scenarios/rawThroughput.js';
import { reconnectStorm } from './scenarios/reconnectStorm.js';
import { serverHeap } from './scenarios/serverHeap.js';
import { statewireRpc } from './scenarios/statewireRpc.js';
import { statewireThroughput } from './scenarios/statewireThroughput.js';
import { subscriptions } from './scenarios/subscriptions.js';

const quick = process.argv.includes('--quick');
const scale = quick ? 0.2 : 1;
const messages = Math.round(200_000 * scale);
const calls = Math.round(5_000 * scale);

function log(name: string, value: unknown) {
  console.log(`${name.padEnd(24)} ${JSON.stringify(value)}`);
}

const raw1 = await rawThroughput({ messages, inFlight: 32, perFrame: 1 });
log('raw ws relay 1/frame', raw1);
const raw32 = await rawThroughput({ messages: messages * 2, inFlight: 32, perFrame: 32 });
log('raw ws relay 32/frame', raw32);
const sw = await statewireThroughput({ messages, inFlight: 32 });
log('statewire pub→sub', sw);
const rawLatency = await rawRpc({ calls });
log('raw ws relay rpc', rawLatency);
const swLatency = await statewireRpc({ calls });
log('statewire rpc', swLatency);
const subs = await subscriptions({ count: 10_000, rounds: 5 });
log('10k subscriptions', subs);
const heap = await serverHeap({ connections: Math.round(2_000 * scale) });
log('server idle connections', heap);
const storm = await reconnectStorm({ clients: 1_000 });
log('reconnect storm', storm);
// The Redis engine (SPEC §10): the same load through one, two and three nodes on one Redis.
const clusterLoad = { messages: Math.round(30_000 * scale), inFlight: 32 };
const cluster = {
  memory: await clusterThroughput('memory', clusterLoad),
  redisSameNode: await clusterThroughput('redisSameNode', clusterLoad),
  redisAtoB: await clusterThroughput('redisAtoB', clusterLoad),
  redis3Nodes: await clusterThroughput('redis3Nodes', clusterLoad),
};
log('redis engine', cluster);

const results = {
  at: new Date().toISOString(),
  node: process.version,
  quick,
  throughput: {
    rawRelayMsgPerSec: raw1.msgPerSec,
    rawRelay32PerFrameMsgPerSec: raw32.msgPerSec,
    statewireMsgPerSec: sw.msgPerSec,
    ratioToRawRelay: round(sw.msgPerSec / raw1.msgPerSec),
    target: 'ahead of nats.js (≈1.75× raw relay here) and ≥ 3× socket.io (≈0.6× raw relay)',
  },
  rpc: {
    rawRelayP50Ms: rawLatency.p50Ms,
    statewireP50Ms: swLatency.p50Ms,
    ratioToRawRelay: round(swLatency.p50Ms / rawLatency.p50Ms),
    target: '≤ 2× raw relay p50 (pinned to one core)',
  },
  redisEngine: {
    ...cluster,
    ratioAtoBToMemory: round(cluster.redisAtoB.msgPerSec / cluster.memory.msgPerSec),
    target: 'publish on node A → subscriber on node B ≥ 0.6× the memory engine',
  },
  subscriptions: { ...subs, target: '10k ≤ 1 s, ≤ 3 KB each; resubscribe 1,000 ≤ 50 ms' },
  server: {
    ...heap,
    ...storm,
    target: '≤ 8 KiB per idle connection; 1,000 reconnecting ≤ 2 s',
  },
};

const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}latest.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(
  `${dir}latest.svg`,
  barChart([
    {
      title: 'pub → sub throughput, 64 B, 32 in flight (msg/s)',
      bars: [
        { label: 'raw ws relay, 1 msg/frame', value: raw1.msgPerSec, unit: 'msg/s' },
        { label: 'raw ws relay, 32 msg/frame', value: raw32.msgPerSec, unit: 'msg/s' },
        { label: 'statewire', value: sw.msgPerSec, unit: 'msg/s' },
      ],
    },
    {
      title: 'Redis engine pub → sub, 64 B, 32 in flight (msg/s)',
      bars: [
        { label: 'memory engine, one node', value: cluster.memory.msgPerSec, unit: 'msg/s' },
        { label: 'redis, same node', value: cluster.redisSameNode.msgPerSec, unit: 'msg/s' },
        { label: 'redis, node A → B', value: cluster.redisAtoB.msgPerSec, unit: 'msg/s' },
        { label: 'redis, 3 nodes', value: cluster.redis3Nodes.msgPerSec, unit: 'msg/s' },
      ],
    },
    {
      title: 'sequential rpc p50, pinned to one core (ms)',
      bars: [
        { label: 'raw ws relay', value: rawLatency.p50Ms, unit: 'ms' },
        { label: 'statewire rpc', value: swLatency.p50Ms, unit: 'ms' },
      ],
    },
  ]),
);
console.log(`wrote ${dir}latest.json and latest.svg`);
