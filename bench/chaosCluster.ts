/**
 * `npm run chaos:cluster` (SPEC §10): three statewire nodes on one Redis behind a round-robin
 * TCP balancer; ≥ 20 times a random node is SIGKILLed under continuous publishing and a new
 * one takes its place. Checks that every subscriber got every acked message exactly once and
 * in each publisher's order; one publisher has `echo: false` and must get none of its own.
 * Exits 1 on any loss, duplicate, reordering, echo or failed publish, or with fewer than 20
 * kills. Loopback only, bounded.
 */
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import { type Client, createClient, type Message } from '../src/index.js';
import { type Broker, startBroker } from './lib/child.js';
import { deletePrefix } from './lib/redisKeys.js';
import { benchRedis } from './lib/redisServer.js';
import { passed, sumTallies, tallyStream } from './lib/tally.js';

const KILLS = Number(process.argv[2] ?? 20);
const KILL_EVERY_MS = 500;
const NODES = 3;
const SUBSCRIBERS = 3;
const IN_FLIGHT = 4;
// A redis-server of its own (or STATEWIRE_BENCH_REDIS_URL): nobody else's commands in between.
const benchRedisServer = await benchRedis();
const REDIS_URL = benchRedisServer.url;
const prefix = `swchaos:${nanoid(6)}`;

const startNode = () =>
  startBroker('statewireRedis.ts', ['0', REDIS_URL, prefix, '100000', '2000']);
const nodes: Broker[] = [];
for (let i = 0; i < NODES; i++) nodes.push(await startNode());

// Each new connection goes to the next live node, as a load balancer in front of them would.
let turn = 0;
const sockets = new Set<Socket>();
const balancer = createTcpServer((socket) => {
  const node = nodes[turn++ % nodes.length];
  const upstream = connect(node.port, '127.0.0.1');
  for (const s of [socket, upstream]) {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      sockets.delete(s);
      socket.destroy();
      upstream.destroy();
    });
  }
  socket.pipe(upstream).pipe(socket);
});
await new Promise<void>((resolve) => balancer.listen(0, '127.0.0.1', resolve));
const options = {
  url: `ws://127.0.0.1:${(balancer.address() as { port: number }).port}`,
  reconnect: { minDelayMs: 5, maxDelayMs: 100 },
  timeoutMs: 60_000,
};

// Two publishers: numbers 1, 2, … from one, -1, -2, … from one with `echo: false`, which also
// checks it gets all of the other's messages and none of its own.
const received: number[][] = [];
async function watch(client: Client): Promise<number[]> {
  const seen: number[] = [];
  received.push(seen);
  await client.subscribe('chaos', ({ content }: Message) => seen.push(content as number)).ready();
  return seen;
}
const subscribers: Client[] = [];
for (let i = 0; i < SUBSCRIBERS; i++) {
  const client = createClient(options);
  await client.connect();
  await watch(client);
  subscribers.push(client);
}

let stop = false;
const failed: string[] = [];

/** Publishes `sign` × 1, 2, … in order: each lane sends the next once the previous is sent. */
function publishInOrder(client: Client, sign: 1 | -1) {
  const acked = new Set<number>();
  let seq = 0;
  let chain = Promise.resolve();
  const lane = async () => {
    while (!stop) {
      seq += 1;
      const mine = sign * seq;
      const previous = chain;
      let release!: () => void;
      chain = new Promise((resolve) => {
        release = resolve;
      });
      await previous;
      const sent = client.publish('chaos', 'tick', mine);
      release();
      try {
        await sent;
        acked.add(mine);
      } catch (error) {
        failed.push(`#${mine}: ${(error as Error).message}`);
      }
    }
  };
  const lanes = Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return { sign, acked, lanes, published: () => seq };
}

const publisher = createClient(options);
await publisher.connect();
await publisher.subscribe('chaos').ready();
const quiet = createClient({ ...options, echo: false });
await quiet.connect();
const quietSeen = await watch(quiet);
const loud = publishInOrder(publisher, 1);
const hushed = publishInOrder(quiet, -1);

let kills = 0;
while (kills < KILLS) {
  await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
  const index = Math.floor(Math.random() * nodes.length);
  const [victim] = nodes.splice(index, 1);
  const exited = new Promise((resolve) => victim.child.once('exit', resolve));
  victim.child.kill('SIGKILL');
  await exited;
  kills += 1;
  nodes.push(await startNode());
}
stop = true;
await Promise.all([loud.lanes, hushed.lanes]);

/** What `seen` should hold: both publishers' acked numbers, but its own for the quiet one. */
const expected = (seen: number[]) =>
  seen === quietSeen ? [loud.acked] : [loud.acked, hushed.acked];

// Settle: every subscriber must reach the last acked number of each publisher it hears.
const lastOf = (acked: Set<number>) =>
  [...acked].reduce((a, n) => (Math.abs(n) > Math.abs(a) ? n : a), 0);
const settled = () =>
  received.every((seen) =>
    expected(seen).every((acked) => acked.size === 0 || seen.includes(lastOf(acked))),
  );
const deadline = Date.now() + 30_000;
while (!settled() && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const echoed = quietSeen.filter((n) => n < 0).length;
// Per subscriber, each publisher's numbers (the loud one's positive, the quiet one's negative).
const tally = sumTallies(
  received.flatMap((seen) =>
    [loud, hushed].map((source) => {
      const stream = seen.filter((n) => Math.sign(n) === source.sign).map(Math.abs);
      // The quiet publisher's own subscription is not sent its messages (counted as echoed).
      const hearsSource = !(seen === quietSeen && source === hushed);
      return tallyStream(stream, hearsSource ? [...source.acked].map(Math.abs) : []);
    }),
  ),
);
const report = {
  nodeKills: kills,
  published: loud.published() + hushed.published(),
  acked: loud.acked.size + hushed.acked.size,
  delivered: received.reduce((n, seen) => n + seen.length, 0),
  ...tally,
  echoed,
  failedPublishes: failed.length,
};
console.log(JSON.stringify(report, null, 2));
if (failed.length > 0) console.error('failed publishes (first 5):', failed.slice(0, 5));
for (const client of [...subscribers, publisher, quiet]) await client.disconnect();
for (const socket of sockets) socket.destroy();
balancer.close();
await Promise.all(nodes.map((node) => node.stop()));
const redis = new Redis(REDIS_URL);
await deletePrefix(redis, prefix);
redis.disconnect();
await benchRedisServer.stop();
// SPEC §10 asks for at least 20 node kills: a shorter run does not pass.
process.exit(passed(tally, echoed, failed.length) && kills >= 20 ? 0 : 1);
