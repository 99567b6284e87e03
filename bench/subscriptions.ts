/**
 * 10,000 subscriptions in one client (SPEC §10): time until all are `subscribed` and client
 * heap per subscription, then the resubscribe time of 1,000 after a reconnect.
 * The broker runs in its own process so its heap does not count.
 *
 *   node --expose-gc --import tsx bench/subscriptions.ts [count]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createClient,
  type Subscription,
  type Transport,
  webSocketTransport,
} from '../src/index.js';

const role = process.argv[2];

if (role === 'broker') {
  const { createServer } = await import('../src/server/index.js');
  const server = createServer({ port: 0 });
  await server.start();
  process.send?.({ port: server.port });
} else {
  await main(Number(role ?? 10_000));
}

async function startBroker() {
  const child = fork(fileURLToPath(import.meta.url), ['broker'], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve((m as { port: number }).port)),
  );
  return { port, stop: () => child.kill('SIGTERM') };
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** A WebSocket transport whose current socket the bench can cut. */
function cuttableTransport() {
  const inner = webSocketTransport();
  let last: ReturnType<Transport['connect']> | undefined;
  const transport: Transport = {
    connect(url, handlers) {
      last = inner.connect(url, handlers);
      return last;
    },
  };
  return { transport, cut: () => last?.close(4000, 'bench: cut') };
}

async function allReady(subscriptions: Subscription[]) {
  await Promise.all(subscriptions.map((s) => s.ready()));
}

async function main(count: number) {
  if (!(globalThis as { gc?: unknown }).gc) console.warn('run with --expose-gc for heap figures');
  const broker = await startBroker();
  const { transport, cut } = cuttableTransport();
  const client = createClient({
    url: `ws://127.0.0.1:${broker.port}`,
    transport,
    reconnect: { minDelayMs: 0, maxDelayMs: 0 },
  });
  await client.connect();
  const rooms = Array.from({ length: count }, (_, i) => `room-${i}`);

  const heapBefore = heapUsed();
  const started = performance.now();
  const subscriptions = rooms.map((room) => client.subscribe(room));
  await allReady(subscriptions);
  const subscribeMs = performance.now() - started;
  const heapPerSub = (heapUsed() - heapBefore) / count;

  // Resubscribe of 1,000 after a reconnect, measured from sign-in (backoff excluded).
  for (const s of subscriptions.slice(1000)) s.close();
  const kept = subscriptions.slice(0, 1000);
  const resubscribes: number[] = [];
  for (let round = 0; round < 5; round++) {
    let signedInAt = 0;
    const off = client.on('state', ({ to }) => {
      if (to === 'connected') signedInAt = performance.now();
    });
    cut();
    await new Promise<void>((resolve) => {
      const offSignedIn = client.on('signedIn', () => {
        offSignedIn();
        resolve();
      });
    });
    off();
    await allReady(kept);
    resubscribes.push(performance.now() - signedInAt);
  }
  const resubscribeMs = Math.min(...resubscribes);
  console.log(resubscribes.map(Math.round));

  const result = {
    subscriptions: count,
    subscribeAllMs: Math.round(subscribeMs),
    heapPerSubscriptionBytes: Math.round(heapPerSub),
    resubscribe1000Ms: Math.round(resubscribeMs),
  };
  console.log(JSON.stringify(result, null, 2));
  await client.disconnect();
  broker.stop();
}
