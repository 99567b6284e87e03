import { afterEach } from 'vitest';
import {
  type Client,
  type ClientOptions,
  createClient,
  type Message,
  type Subscription,
} from '../../src/index.js';
import { createServer, type Server, type ServerOptions } from '../../src/server/index.js';
import { onTestEngine } from '../engines/testEngine.js';

/* Shared set-up of the end-to-end client tests: everything made is torn down after each test. */

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `cleanup` after the current test, in reverse order of registration. */
export function onCleanup(cleanup: () => Promise<unknown> | unknown): void {
  cleanups.push(cleanup);
}

/** The real server on a free port. */
export async function startServer(options: ServerOptions = {}): Promise<Server> {
  const server = createServer(onTestEngine({ port: 0, ...options }));
  await server.start();
  onCleanup(() => server.close());
  return server;
}

/** A client with a short backoff, disconnected after the test. */
export function client(options: ClientOptions): Client {
  const created = createClient({ reconnect: { minDelayMs: 10, maxDelayMs: 50 }, ...options });
  onCleanup(() => created.disconnect());
  return created;
}

/** Records a subscription's messages; `until(offset)` also sees those already received. */
export function collect(sub: Subscription) {
  const messages: Message[] = [];
  const waiters: Array<{ test(m: Message): boolean; resolve(m: Message): void }> = [];
  sub.on('message', (m) => {
    messages.push(m);
    for (const waiter of waiters.filter((w) => w.test(m))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(m);
    }
  });
  const until = (test: (m: Message) => boolean): Promise<Message> => {
    const seen = messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => waiters.push({ test, resolve }));
  };
  return {
    messages,
    offsets: () => messages.map((m) => m.offset),
    until,
    untilOffset: (offset: number) => until((m) => m.offset >= offset),
  };
}
