/*
 * `npm run demo`: an embedded statewire server, a persistent client that rides out a server
 * restart and recovers what it missed, and transient clients that publish and leave. Every
 * lifecycle event is printed as it happens; the script ends by itself.
 */
import { type Client, createClient, type Json, type Subscription, withClient } from 'statewire';
import { createServer } from 'statewire/server';

const started = performance.now();
function log(who: 'server' | 'reader' | 'writer', text: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(2).padStart(5);
  console.log(`${seconds}s  ${who.padEnd(6)}  ${text}`);
}

/** Prints every lifecycle event of the persistent client. */
function narrate(client: Client): void {
  client.on('connecting', ({ attempt }) =>
    log('reader', attempt === 0 ? 'connecting' : `connecting again (retry ${attempt})`),
  );
  client.on('connected', () => log('reader', 'connected (socket open, signing in)'));
  client.on('signedIn', ({ uid }) => log('reader', `signed in as "${uid}"`));
  client.on('disconnected', ({ reason, code, willReconnect }) =>
    log(
      'reader',
      `disconnected: ${reason}${code ? ` (${code})` : ''}${willReconnect ? ', will reconnect' : ''}`,
    ),
  );
  client.on('error', ({ code, message }) => log('reader', `error ${code}: ${message}`));
}

function watch(subscription: Subscription): void {
  subscription.on('state', ({ to }) => log('reader', `subscription "${subscription.room}": ${to}`));
  subscription.on('message', ({ offset, event, content, from }) =>
    log('reader', `← #${offset} ${event} ${JSON.stringify(content)}${from ? ` from ${from}` : ''}`),
  );
  subscription.on('recovered', ({ recovered, missed }) =>
    log(
      'reader',
      recovered
        ? `recovered: ${missed} message(s) missed while away, replayed in order`
        : 'not recovered: the server lost the history',
    ),
  );
}

/** A short-lived program: one publish over HTTP (no socket is opened), then gone. */
async function publishOnce(url: string, content: Json): Promise<void> {
  await withClient({ url, uid: 'writer' }, async (writer) => {
    const { offset } = await writer.publish('news', 'headline', content);
    log('writer', `published #${offset} over HTTP (no socket, state "${writer.state}")`);
  });
}

function next<T>(subscribe: (resolve: (value: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((value) => {
      off();
      resolve(value);
    });
  });
}

async function main(): Promise<void> {
  const server = createServer({ port: 0 });
  await server.start();
  log('server', `listening on ${server.url}`);

  const reader = createClient({
    url: server.url,
    uid: 'reader',
    reconnect: { minDelayMs: 200, maxDelayMs: 2000 },
  });
  narrate(reader);
  const news = reader.subscribe('news');
  watch(news);
  await news.ready();
  const delivered = (offset: number) =>
    next<void>((done) => news.on('message', (m) => m.offset === offset && done()));

  let arrived = delivered(1);
  await publishOnce(server.url, { title: 'statewire demo starts' });
  await arrived;

  log('server', 'restarting: clients get "bye" and a 1001 close');
  const lost = next((done) => reader.on('disconnected', done));
  await server.close();
  await lost;
  await server.publish('news', 'headline', { title: 'published while the reader was away' });
  await server.publish('news', 'headline', { title: 'this one too' });
  log('server', 'published #2 and #3 while down for clients (history kept by the engine)');

  const recovered = next((done) => news.on('recovered', done));
  arrived = delivered(3);
  await server.start();
  log('server', `back on ${server.url}`);
  await recovered;
  await arrived;

  arrived = delivered(4);
  await publishOnce(server.url, { title: 'business as usual' });
  await arrived;

  await reader.disconnect();
  await server.close();
  log('server', 'closed; demo done');
}

// Every step waits on an event; should one never come, say so instead of hanging.
const watchdog = setTimeout(() => {
  console.error('demo failed: stuck for 15 s');
  process.exit(1);
}, 15_000).unref();

main().then(
  () => clearTimeout(watchdog),
  (error: unknown) => {
    console.error('demo failed:', error);
    process.exitCode = 1;
  },
);
