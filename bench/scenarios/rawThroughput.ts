import { startBroker } from '../lib/child.js';
import { CONTENT_64B, openRaw } from '../lib/rawPeer.js';

/**
 * Raw `ws` relay: a publisher keeps `inFlight` acked frames outstanding, a subscriber counts
 * messages. With `perFrame` > 1 each frame carries that many messages (the coalescing ceiling).
 */
export async function rawThroughput(options: {
  messages: number;
  inFlight: number;
  perFrame: number;
}): Promise<{ msgPerSec: number }> {
  const broker = await startBroker('raw-relay.ts');
  const publisher = await openRaw(broker.port);
  const subscriber = await openRaw(broker.port);
  const frames = Math.ceil(options.messages / options.perFrame);
  const message = { type: 'pub', room: 'bench', event: 'tick', content: CONTENT_64B };
  const frame = JSON.stringify({
    ack: 1,
    batch: Array.from({ length: options.perFrame }, () => message),
  });

  const received = new Promise<void>((resolve) => {
    let count = 0;
    subscriber.on('message', () => {
      count += options.perFrame;
      if (count >= frames * options.perFrame) resolve();
    });
  });
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const sendOne = () => {
      if (sent >= frames) return;
      sent += 1;
      publisher.send(frame);
    };
    let acked = 0;
    publisher.on('message', () => {
      acked += 1;
      if (acked >= frames) resolve();
      else sendOne();
    });
    for (let i = 0; i < options.inFlight; i++) sendOne();
  });
  await received;
  const seconds = (performance.now() - started) / 1000;
  publisher.close();
  subscriber.close();
  await broker.stop();
  return { msgPerSec: Math.round((frames * options.perFrame) / seconds) };
}
