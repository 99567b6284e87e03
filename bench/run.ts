/**
 * `npm run bench`: every SPEC §10 measure in one run, statewire next to its peers (nats.js +
 * nats-server, socket.io, a raw `ws` relay) doing the same work, reported as ratios. Writes bench/results/latest.json and latest.svg.
 * Timings swing 2–4× between runs on a shared machine: compare the ratios of one run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Bar, barChart } from './lib/chart.js';
import { formatJson } from './lib/jsonFile.js';
import { round } from './lib/stats.js';
import { clusterRounds } from './scenarios/clusterThroughput.js';
import { PEERS, peers } from './scenarios/peers.js';
import { rawThroughput } from './scenarios/rawThroughput.js';
import { reconnectStorm } from './scenarios/reconnectStorm.js';
import { rpcRounds } from './scenarios/rpcRounds.js';
import { serverHeap } from './scenarios/serverHeap.js';
import { subscriptions } from './scenarios/subscriptions.js';

const quick = process.argv.includes('--quick');
const scale = quick ? 0.2 : 1;
const messages = Math.round(200_000 * scale);
const calls = Math.round(5_000 * scale);

function log(name: string, value: unknown) {
  console.log(`${name.padEnd(24)} ${JSON.stringify(value)}`);
}

// Peers on both patterns under one window rule, medians of interleaved rounds (SPEC §10).
const peer = await peers({
  rounds: 5,
  inFlight: 32,
  oneToOne: { subscribers: 1, messages: Math.round(100_000 * scale) },
  fanOut: { subscribers: 50, messages: Math.round(10_000 * scale) },
  log: (line) => console.log(line),
});
log('1:1 msg/s (median)', peer.oneToOne.median);
log('1:50 deliveries/s', peer.fanOut.median);
// The coalescing ceiling: raw ws with 32 messages in each frame.
const raw32 = await rawThroughput({ messages: messages * 2, inFlight: 32, perFrame: 32 });
log('raw ws relay 32/frame', raw32);
const latency = await rpcRounds({ calls, warmup: Math.round(calls / 10), rounds: 5 });
const { raw: rawLatency, statewire: swLatency } = latency;
log('raw ws relay rpc', rawLatency);
log('statewire rpc', swLatency);
const subs = await subscriptions({ count: 10_000, rounds: 5 });
log('10k subscriptions', subs);
const heap = await serverHeap({ connections: Math.round(2_000 * scale) });
log('server idle connections', heap);
const storm = await reconnectStorm({ clients: 1_000 });
log('reconnect storm', storm);
// The Redis engine (SPEC §10): the same load through one, two and three nodes on one Redis, in
// three interleaved rounds (medians).
const clusterLoad = { messages: Math.round(30_000 * scale), inFlight: 32 };
const cluster = await clusterRounds(clusterLoad, 3);
log('redis engine', cluster);

const results = {
  at: new Date().toISOString(),
  node: process.version,
  quick,
  throughput: {
    rounds: peer.rounds,
    windowRule: peer.windowRule,
    notMeasured: peer.missing,
    oneToOne: { ...peer.oneToOne, target: '≥ 1.0× nats and ≥ 3× socket.io (msg/s)' },
    fanOut50: { ...peer.fanOut, target: '≥ 1.2× nats (deliveries/s)' },
    rawRelay32PerFrameMsgPerSec: raw32.msgPerSec,
  },
  rpc: {
    rawRelayP50Ms: rawLatency.p50Ms,
    statewireP50Ms: swLatency.p50Ms,
    ratioToRawRelay: round(swLatency.p50Ms / rawLatency.p50Ms),
    roundsP50Ms: { rawRelay: rawLatency.roundsP50Ms, statewire: swLatency.roundsP50Ms },
    target: '≤ 2× raw relay p50 (pinned to one core; medians of interleaved rounds)',
  },
  redisEngine: {
    ...cluster,
    ratioAtoBToMemory: round(cluster.redisAtoB.msgPerSec / cluster.memory.msgPerSec),
    target: 'publish on node A → subscriber on node B ≥ 0.6× the memory engine',
  },
  subscriptions: { ...subs, target: '10k ≤ 0.5 s, ≤ 3 KB each; resubscribe 1,000 ≤ 50 ms' },
  server: {
    ...heap,
    ...storm,
    target:
      '≤ 8 KiB per idle connection; 1,000 reconnecting at once ≤ 1 s (allResubscribedMs: the broker with protocol clients; the statewireClients figures add 1,000 clients in one process, and after a restart their backoff)',
  },
};

/** One bar per peer; statewire's bar carries its ratios, a peer not measured says why. */
function peerBars(pattern: typeof peer.oneToOne, unit: string): Bar[] {
  const ratios = [
    pattern.vsNats === null ? '' : `${pattern.vsNats}× nats`,
    pattern.vsSocketIo === null ? '' : `${pattern.vsSocketIo}× socket.io`,
    pattern.vsRawWs === null ? '' : `${pattern.vsRawWs}× raw`,
  ].filter(Boolean);
  return PEERS.map(({ key, label }) => ({
    label,
    value: pattern.median[key],
    unit,
    note:
      key === 'statewire'
        ? `(${ratios.join(', ')})`
        : peer.missing[key] && `not measured: ${peer.missing[key]}`,
  }));
}

const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}latest.json`, formatJson(results));
writeFileSync(
  `${dir}latest.svg`,
  barChart([
    {
      title: `1 publisher → 1 subscriber, 64 B, 32 in flight (msg/s, median of ${peer.rounds})`,
      bars: peerBars(peer.oneToOne, 'msg/s'),
    },
    {
      title: `1 publisher → 50 subscribers, 64 B, 32 in flight (deliveries/s, median of ${peer.rounds})`,
      bars: peerBars(peer.fanOut, 'deliveries/s'),
    },
    {
      title: 'coalescing ceiling: raw ws relay, 32 messages a frame (msg/s)',
      bars: [{ label: 'raw ws relay, 32 msg/frame', value: raw32.msgPerSec, unit: 'msg/s' }],
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
      title: '1,000 clients reconnecting, until all signed in and resubscribed (ms)',
      bars: [
        { label: 'protocol clients, at once', value: storm.allResubscribedMs, unit: 'ms' },
        { label: 'statewire clients, at once', value: storm.statewireClientsAtOnceMs, unit: 'ms' },
        {
          label: 'statewire clients, broker restart',
          value: storm.statewireClientsAfterRestartMs,
          unit: 'ms',
        },
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
