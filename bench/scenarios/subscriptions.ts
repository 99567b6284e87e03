import { type Client, createClient, type Subscription } from '../../src/index.js';
import { startBroker } from '../lib/child.js';
import { cuttableTransport, heapUsed } from '../lib/cuttable.js';
import { percentile } from '../lib/stats.js';

async function allReady(subscriptions: Subscription[]) {
  await Promise.all(subscriptions.map((s) => s.ready()));
}

function nextSignIn(client: Client): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on('signedIn', () => {
      off();
      resolve();
    });
  });
}

/**
 * 10,000 subscriptions in one client (SPEC §10): time until all are `subscribed`, client heap
 * per subscription, then the median resubscribe time of 1,000 after a cut socket, measured
 * from sign-in (so the backoff is excluded). Needs --expose-gc for the heap figure.
 */
export async function subscriptions(options: { count: number; rounds: number }) {
  const broker = await startBroker('statewire.ts');
  const { transport, cut } = cuttableTransport();
  const client = createClient({
    url: `ws://127.0.0.1:${broker.port}`,
    transport,
    reconnect: { minDelayMs: 0, maxDelayMs: 0 },
  });
  await client.connect();
  const rooms = Array.from({ length: options.count }, (_, i) => `room-${i}`);

  const heapBefore = heapUsed();
  const started = performance.now();
  const subs = rooms.map((room) => client.subscribe(room));
  await allReady(subs);
  const subscribeAllMs = performance.now() - started;
  const heapPerSubscriptionBytes = (heapUsed() - heapBefore) / options.count;

  for (const s of subs.slice(1000)) s.close();
  const kept = subs.slice(0, 1000);
  const resubscribes: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const signedIn = nextSignIn(client);
    cut();
    await signedIn;
    const from = performance.now();
    await allReady(kept);
    resubscribes.push(performance.now() - from);
  }
  await client.disconnect();
  await broker.stop();
  return {
    subscriptions: options.count,
    subscribeAllMs: Math.round(subscribeAllMs),
    heapPerSubscriptionBytes: Math.round(heapPerSubscriptionBytes),
    resubscribe1000MsP50: Math.round(percentile(resubscribes, 50)),
  };
}
