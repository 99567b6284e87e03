import { startBroker } from '../lib/child.js';
import { pinToCore } from '../lib/pin.js';
import { CONTENT_64B, openRaw } from '../lib/rawPeer.js';
import { type Latency, timeCalls } from '../lib/stats.js';

/**
 * Sequential request → relay → responder → relay → requester round trips, pinned to core 0;
 * the first `warmup` are not sampled.
 */
export async function rawRpc(options: { calls: number; warmup: number }): Promise<Latency> {
  const broker = await startBroker('raw-relay.ts');
  const unpinBroker = pinToCore(0, broker.child.pid);
  const unpinSelf = pinToCore(0);
  const requester = await openRaw(broker.port);
  const responder = await openRaw(broker.port);
  responder.on('message', (data) => responder.send(data.toString().replace('"req"', '"rep"')));
  const request = JSON.stringify({ type: 'req', content: CONTENT_64B });
  const call = () =>
    new Promise<void>((resolve) => {
      requester.once('message', () => resolve());
      requester.send(request);
    });
  const latency = await timeCalls(call, options);
  requester.close();
  responder.close();
  unpinSelf();
  unpinBroker();
  await broker.stop();
  return latency;
}
