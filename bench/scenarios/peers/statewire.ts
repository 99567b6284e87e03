import { type Client, createClient } from '../../../src/index.js';
import { startBroker } from '../../lib/child.js';
import { CONTENT_64B } from '../../lib/rawPeer.js';
import { type Peer, ROOM } from './types.js';

/**
 * statewire client → broker → clients. The publisher must be in the room to publish (SPEC §2);
 * with `echo: false` it is not sent its own messages back, as nats' publisher (not subscribed)
 * and socket.io's (`socket.to(room)`) are not. Only the subscribers' deliveries are counted.
 * Publish acks are not part of the window; close() waits for them and fails the run if one
 * failed.
 */
export const statewirePeer: Peer = {
  key: 'statewire',
  label: 'statewire',
  async start() {
    const broker = await startBroker('statewire.ts');
    const url = `ws://127.0.0.1:${broker.port}`;
    return {
      stop: () => broker.stop(),
      async open(subscribers, onDelivery) {
        const clients: Client[] = [];
        for (let i = 0; i < subscribers; i++) {
          const client = createClient({ url, lazy: false });
          await client.subscribe(ROOM, () => onDelivery(i)).ready();
          clients.push(client);
        }
        const publisher = createClient({ url, lazy: false, echo: false });
        await publisher.subscribe(ROOM).ready();
        let unacked = 0;
        let allAcked: (() => void) | undefined;
        let failure: unknown;
        const settled = () => {
          unacked -= 1;
          if (unacked === 0) allAcked?.();
        };
        return {
          publish() {
            unacked += 1;
            publisher.publish(ROOM, 'tick', CONTENT_64B).then(settled, (error) => {
              failure ??= error;
              settled();
            });
          },
          async close() {
            if (unacked > 0) await new Promise<void>((resolve) => (allAcked = resolve));
            await Promise.all([publisher, ...clients].map((client) => client.disconnect()));
            if (failure) throw failure;
          },
        };
      },
    };
  },
};
