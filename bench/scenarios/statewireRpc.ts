import { createClient } from '../../src/index.js';
import { startBroker } from '../lib/child.js';
import { pinToCore } from '../lib/pin.js';
import { CONTENT_64B } from '../lib/rawPeer.js';
import { type Latency, timeCalls } from '../lib/stats.js';

/**
 * Sequential `client.rpc` through a queue consumer in another client, pinned to core 0; the
 * first `warmup` calls (the reply queue's set-up among them) are not sampled.
 */
export async function statewireRpc(options: { calls: number; warmup: number }): Promise<Latency> {
  const broker = await startBroker('statewire.ts');
  const unpinBroker = pinToCore(0, broker.child.pid);
  const unpinSelf = pinToCore(0);
  const url = `ws://127.0.0.1:${broker.port}`;
  const requester = createClient({ url, lazy: false });
  const responder = createClient({ url, lazy: false });
  await Promise.all([requester.connect(), responder.connect()]);
  await responder.registerQueue('echo', (delivery) => delivery.data);
  const latency = await timeCalls(() => requester.rpc('echo', CONTENT_64B), {
    calls: options.calls,
    warmup: Math.max(1, options.warmup),
  });
  await Promise.all([requester.disconnect(), responder.disconnect()]);
  unpinSelf();
  unpinBroker();
  await broker.stop();
  return latency;
}
