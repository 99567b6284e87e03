import { type Client, createClient, type Subscription } from '../../src/index.js';
import { nextEvent } from '../../src/testing/index.js';
import { type Broker, startBroker } from '../lib/child.js';
import { ProtocolClient } from '../lib/protocolClient.js';
import { percentile } from '../lib/stats.js';

const RECONNECT = { minDelayMs: 100, maxDelayMs: 1000 };

async function statewireClients(port: number, count: number) {
  const clients: Client[] = Array.from({ length: count }, () =>
    createClient({ url: `ws://127.0.0.1:${port}`, reconnect: RECONNECT, heartbeat: false }),
  );
  const subs = await Promise.all(
    clients.map(async (client, i) => {
      await client.connect();
      const sub = client.subscribe(`storm-${i}`);
      await sub.ready();
      return sub;
    }),
  );
  return { clients, subs };
}

async function allReady(subs: Subscription[], from: number): Promise<number> {
  await Promise.all(subs.map((sub) => sub.ready()));
  return Math.round(performance.now() - from);
}

/**
 * The broker's side (SPEC §10 lists it under Server): 1,000 protocol clients (bench/lib/
 * protocolClient.ts, next to no client work) lose their sockets in one instant, the broker's
 * TCP sockets destroyed as a network fault would, and all reconnect, sign in and resubscribe
 * from their position at once. Measured from the cut until every one is subscribed again;
 * `rounds` cuts of the same clients, medians (the first runs on code the JIT has seen less).
 */
async function serverAtOnce(count: number, rounds: number) {
  const broker = await startBroker('statewire.ts', ['0', 'cuttable']);
  const clients = Array.from(
    { length: count },
    (_, i) => new ProtocolClient(broker.port, `storm-${i}`, `storm-${i}`),
  );
  const first = clients.map((client) => client.subscribed());
  for (const client of clients) client.open();
  await Promise.all(first);
  const ms: number[] = [];
  const cpuUs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const again = clients.map((client) => client.subscribed());
    const cpuBefore = await broker.cpu();
    const cutAt = performance.now();
    await broker.cut();
    await Promise.all(again);
    ms.push(performance.now() - cutAt);
    cpuUs.push((await broker.cpu()) - cpuBefore);
  }
  const recovered = clients.reduce((sum, client) => sum + client.recovered, 0);
  for (const client of clients) client.stop();
  await broker.stop();
  return {
    ms: Math.round(percentile(ms, 50)),
    rounds: ms.map(Math.round),
    recovered,
    resubscribes: count * rounds,
    brokerCpuUsPerReconnect: Math.round(percentile(cpuUs, 50) / count),
  };
}

/**
 * 1,000 statewire clients in this one process, each subscribed to its room, so the figure
 * holds their reconnect work as well as the broker's:
 * - at once: the broker's TCP sockets destroyed in one instant, the broker stays up; every
 *   first retry comes within the first backoff step ([0, 100 ms), full jitter). From the cut.
 * - after a restart: a new broker on the same port. Clients that retried while it was down
 *   draw their next delay from [0, 1 s) (full jitter, at the cap), so the last of 1,000 waits
 *   nearly 1 s: from the new broker listening, backoff included.
 */
async function statewireStorm(count: number) {
  let broker: Broker = await startBroker('statewire.ts', ['0', 'cuttable']);
  const port = broker.port;
  const { clients, subs } = await statewireClients(port, count);

  let offline = Promise.all(clients.map((client) => nextEvent(client, 'disconnected')));
  const cpuBefore = process.cpuUsage();
  const cutAt = performance.now();
  await broker.cut();
  await offline;
  const atOnceMs = await allReady(subs, cutAt);
  const { user, system } = process.cpuUsage(cpuBefore);

  offline = Promise.all(clients.map((client) => nextEvent(client, 'disconnected')));
  await broker.stop();
  await offline;
  broker = await startBroker('statewire.ts', [String(port), 'cuttable']);
  const afterRestartMs = await allReady(subs, performance.now());

  await Promise.all(clients.map((client) => client.disconnect()));
  await broker.stop();
  return { atOnceMs, afterRestartMs, clientCpuUsPerReconnect: Math.round((user + system) / count) };
}

export async function reconnectStorm(options: { clients: number }) {
  const server = await serverAtOnce(options.clients, 3);
  const statewire = await statewireStorm(options.clients);
  return {
    clients: options.clients,
    allResubscribedMs: server.ms,
    allResubscribedRoundsMs: server.rounds,
    resubscribes: server.resubscribes,
    recoveredOnResubscribe: server.recovered,
    brokerCpuUsPerReconnect: server.brokerCpuUsPerReconnect,
    statewireClientsAtOnceMs: statewire.atOnceMs,
    statewireClientCpuUsPerReconnect: statewire.clientCpuUsPerReconnect,
    statewireClientsAfterRestartMs: statewire.afterRestartMs,
  };
}
