/**
 * `npm run chaos` (SPEC §10): publishers and subscribers talk to the broker through a proxy
 * that cuts every connection ≥ 100 times. Checks that the subscribers got every acked
 * message exactly once and in each publisher's order. Publishers with `echo: false` check the
 * same of the others' messages, and that none of their own reached them. Exits 1 on any loss,
 * duplicate, reordering, echo or failed publish. Bounded: stops after the faults are done,
 * loopback only.
 */
import { type Client, createClient, type Message } from '../src/index.js';
import { createServer } from '../src/server/index.js';
import { faultyProxy } from './lib/faultyProxy.js';
import { passed, sumTallies, tallyStream, upTo } from './lib/tally.js';

const FAULTS = Number(process.argv[2] ?? 100);
const FAULT_EVERY_MS = 60;
const PUBLISHERS = 3;
/** The last publishers ask for `echo: false`. */
const NO_ECHO_PUBLISHERS = 2;
const SUBSCRIBERS = 2;
const IN_FLIGHT = 4;

const server = createServer({ port: 0, history: { size: 10_000 } });
await server.start();
const proxy = await faultyProxy(server.port);
const options = {
  url: `ws://127.0.0.1:${proxy.port}`,
  reconnect: { minDelayMs: 5, maxDelayMs: 50 },
  timeoutMs: 60_000,
};

/** What one subscriber got, per publisher; `self`: a no-echo publisher's own name. */
interface View {
  seen: Map<string, number[]>;
  self?: string;
}
const views: View[] = [];
let echoed = 0;

/** Subscribes `client` to the room, recording what it gets into a new view. */
async function watch(client: Client, self?: string): Promise<void> {
  const seen = new Map<string, number[]>();
  views.push({ seen, self });
  await client
    .subscribe('chaos', ({ content }: Message) => {
      const { publisher, seq } = content as { publisher: string; seq: number };
      if (publisher === self) echoed += 1;
      if (!seen.has(publisher)) seen.set(publisher, []);
      seen.get(publisher)!.push(seq);
    })
    .ready();
}

const subscribers: Client[] = [];
for (let i = 0; i < SUBSCRIBERS; i++) {
  const client = createClient(options);
  await client.connect();
  await watch(client);
  subscribers.push(client);
}

let stop = false;
const acked = new Map<string, number>();
const failed: string[] = [];
async function publishLoop(name: string, echo: boolean) {
  const client = createClient({ ...options, echo });
  await client.connect();
  if (echo) await client.subscribe('chaos').ready();
  else await watch(client, name);
  let seq = 0;
  const lane = async () => {
    while (!stop) {
      seq += 1;
      const mine = seq;
      try {
        await client.publish('chaos', 'tick', { publisher: name, seq: mine });
        acked.set(name, Math.max(acked.get(name) ?? 0, mine));
      } catch (error) {
        failed.push(`${name}#${mine}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return { client, published: seq };
}

const publishers = Array.from({ length: PUBLISHERS }, (_, i) =>
  publishLoop(`p${i}`, i < PUBLISHERS - NO_ECHO_PUBLISHERS),
);
let faults = 0;
let cutConnections = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    cutConnections += proxy.cutAll();
    faults += 1;
    if (faults >= FAULTS) {
      clearInterval(timer);
      resolve();
    }
  }, FAULT_EVERY_MS);
});
stop = true;
const done = await Promise.all(publishers);

// Settle: every subscriber must reach each publisher's last sequence number.
const deadline = Date.now() + 20_000;
const others = (view: View) =>
  done.map((_, i) => `p${i}`).filter((publisher) => publisher !== view.self);
const complete = () =>
  views.every((view) =>
    others(view).every((p) => (view.seen.get(p)?.at(-1) ?? 0) >= (acked.get(p) ?? 0)),
  );
while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

// Every lane has ended: each number up to a publisher's highest was acked, or it failed.
const tally = sumTallies(
  views.flatMap((view) =>
    others(view).map((publisher) =>
      tallyStream(view.seen.get(publisher) ?? [], upTo(acked.get(publisher) ?? 0)),
    ),
  ),
);
const report = {
  faults,
  cutConnections,
  published: done.reduce((n, d) => n + d.published, 0),
  delivered: views.reduce((n, view) => n + [...view.seen.values()].flat().length, 0),
  ...tally,
  echoed,
  failedPublishes: failed.length,
};
console.log(JSON.stringify(report, null, 2));
if (failed.length > 0) console.error('failed publishes (first 5):', failed.slice(0, 5));
for (const client of [...subscribers, ...done.map((d) => d.client)]) await client.disconnect();
await proxy.close();
await server.close();
process.exit(passed(tally, echoed, failed.length) ? 0 : 1);
