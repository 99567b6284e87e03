import { createClient } from '../api/createClient.js';
import { createServer } from '../server/createServer.js';
import { type CommandLine, intOption } from './args.js';
import type { Output } from './output.js';

const IN_FLIGHT = 32;

/**
 * `statewire bench`: publish → subscriber throughput through an embedded server on loopback,
 * all in this process. The benchmarks against raw ws (SPEC §10) are `npm run bench`.
 */
export async function bench(line: CommandLine, io: Output): Promise<void> {
  const total = intOption(line.options, 'messages', 20_000, 1);
  const server = createServer({ port: 0 });
  await server.start();
  const subscriber = createClient({ url: server.url, uid: 'bench-subscriber' });
  const publisher = createClient({ url: server.url, uid: 'bench-publisher' });
  try {
    let received = 0;
    const allReceived = new Promise<void>((resolve) => {
      subscriber.subscribe('bench', () => {
        if (++received === total) resolve();
      });
    });
    await subscriber.subscribe('bench').ready();
    await publisher.subscribe('bench').ready();

    const started = performance.now();
    let sent = 0;
    const lane = async () => {
      while (sent < total) {
        sent++;
        await publisher.publish('bench', 'tick', { n: sent });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    await allReceived;
    const ms = performance.now() - started;
    io.out(
      JSON.stringify({
        messages: total,
        ms: Math.round(ms),
        perSecond: Math.round(total / (ms / 1000)),
      }),
    );
    io.err(
      `${total} messages published and received in ${ms.toFixed(0)} ms (${IN_FLIGHT} in flight, one process)`,
    );
  } finally {
    await Promise.all([subscriber.disconnect(), publisher.disconnect()]);
    await server.close();
  }
}
