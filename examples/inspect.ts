/*
 * A live statewire client in the Stately Inspector (see docs/inspection.md).
 *
 *   npx tsx examples/inspect.ts
 *     starts the inspector bridge of @statelyai/inspect on http://localhost:8090 and opens it
 *     in your browser (the page embeds the Stately Inspector), then keeps a client busy until
 *     Ctrl-C: a message every second, the server restarted every ten.
 *   INSPECTOR_URL=ws://127.0.0.1:9000 npx tsx examples/inspect.ts --once
 *     streams to a relay of your own instead and stops after one round.
 */
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { createClient, type Subscription } from 'statewire';
import { createServer } from 'statewire/server';

const once = process.argv.includes('--once');
const BRIDGE_PORT = 8090;

// Where the inspection events go: your relay, or the bridge page of @statelyai/inspect.
const relay = process.env.INSPECTOR_URL;
const bridge = relay
  ? undefined
  : createInspectorServer({ port: BRIDGE_PORT, autoOpen: !process.env.CI });
const inspector = createWebSocketInspector({ url: relay ?? `ws://localhost:${BRIDGE_PORT}` });
if (bridge) console.log(`Stately Inspector bridge: http://localhost:${BRIDGE_PORT}`);

// A server that wants tokens; the client gets them from a function. Tokens stay out of the
// inspector: look for "example-token" in what it receives.
const server = createServer({
  port: 0,
  auth: {
    verifyToken: (token) => (token.startsWith('example-token-') ? { uid: 'inspected' } : null),
  },
});
await server.start();

let issued = 0;
const client = createClient({
  url: server.url,
  token: () => ({ token: `example-token-${++issued}`, expiresAt: Date.now() + 60_000 }),
  reconnect: { minDelayMs: 200, maxDelayMs: 1000 },
  inspect: inspector.inspect,
});
client.on('state', ({ from, to }) => console.log(`client ${from} → ${to}`));

const news = client.subscribe('news', ({ offset, content }) =>
  console.log(`message #${offset}: ${JSON.stringify(content)}`),
);
await news.ready();

function nextMessage(subscription: Subscription): Promise<unknown> {
  return new Promise((resolve) => {
    const off = subscription.on('message', (message) => {
      off();
      resolve(message);
    });
  });
}

/** One message, then a server restart the client rides out (watch `reconnecting`). */
async function round(n: number): Promise<void> {
  const received = nextMessage(news);
  await client.publish('news', 'tick', { n });
  await received;
  const recovered = new Promise((resolve) => news.on('recovered', resolve));
  await server.close();
  await server.start();
  await recovered;
}

if (once) {
  await round(1);
} else {
  console.log('Ctrl-C to stop');
  let n = 0;
  const timer = setInterval(() => {
    n += 1;
    const work = n % 10 === 0 ? round(n) : client.publish('news', 'tick', { n });
    work.catch((error: Error) => console.error(error.message));
  }, 1000);
  await new Promise((resolve) => process.once('SIGINT', resolve));
  clearInterval(timer);
}

await client.disconnect();
await server.close();
inspector.stop();
bridge?.stop();
