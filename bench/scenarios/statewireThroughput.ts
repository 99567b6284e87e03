import { createClient } from '../../src/index.js';
import { startBroker } from '../lib/child.js';
import { CONTENT_64B } from '../lib/rawPeer.js';

/**
 * Publisher → broker → subscriber with `inFlight` acked publishes outstanding, the same work as
 * rawThroughput. The publisher must be in the room to publish (SPEC §2), so it also receives
 * every message: the broker fans out twice what the raw relay does.
 */
export async function statewireThroughput(options: {
  messages: number;
  inFlight: number;
}): Promise<{ msgPerSec: number }> {
  const broker = await startBroker('statewire.ts');
  const url = `ws://127.0.0.1:${broker.port}`;
  const publisher = createClient({ url, lazy: false });
  const subscriber = createClient({ url, lazy: false });
  let received = 0;
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => {
    allReceived = resolve;
  });
  await subscriber
    .subscribe('bench', () => {
      received += 1;
      if (received === options.messages) allReceived();
    })
    .ready();
  await publisher.subscribe('bench').ready();

  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < options.messages) {
      next += 1;
      await publisher.publish('bench', 'tick', CONTENT_64B);
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, lane));
  await done;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([publisher.disconnect(), subscriber.disconnect()]);
  await broker.stop();
  return { msgPerSec: Math.round(options.messages / seconds) };
}
