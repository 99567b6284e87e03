import { type Client, createClient } from '../../src/index.js';
import { startBroker } from '../lib/child.js';

/**
 * 1,000 clients, each subscribed to its room, lose their broker at once; a new broker starts on
 * the same port. Measures from the new broker listening until every client is signed in and
 * resubscribed (SPEC §10: ≤ 1 s), backoff included. Clients that retried while it was down draw
 * their next delay from [0, 1 s) (full jitter, at the cap): the last of 1,000 waits nearly 1 s.
 */
export async function reconnectStorm(options: { clients: number }) {
  let broker = await startBroker('statewire.ts');
  const port = broker.port;
  const clients: Client[] = Array.from({ length: options.clients }, () =>
    createClient({
      url: `ws://127.0.0.1:${port}`,
      reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
      heartbeat: false,
    }),
  );
  const subs = await Promise.all(
    clients.map(async (client, i) => {
      await client.connect();
      const sub = client.subscribe(`storm-${i}`);
      await sub.ready();
      return sub;
    }),
  );
  const allOffline = Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve) => {
          const off = client.on('disconnected', () => {
            off();
            resolve();
          });
        }),
    ),
  );
  await broker.stop();
  await allOffline;
  broker = await startBroker('statewire.ts', [String(port)]);
  const restarted = performance.now();
  await Promise.all(subs.map((sub) => sub.ready()));
  const allResubscribedMs = Math.round(performance.now() - restarted);
  await Promise.all(clients.map((client) => client.disconnect()));
  await broker.stop();
  return { clients: options.clients, allResubscribedMs };
}
