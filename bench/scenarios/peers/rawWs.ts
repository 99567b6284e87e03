import type WebSocket from 'ws';
import { startBroker } from '../../lib/child.js';
import { CONTENT_64B, openRaw } from '../../lib/rawPeer.js';
import { type Peer, ROOM } from './types.js';

/** Raw `ws` relay: one frame per message, relayed to every other peer, decoded on arrival. */
export const rawWsPeer: Peer = {
  key: 'rawWs',
  label: 'raw ws relay',
  async start() {
    const broker = await startBroker('raw-relay.ts');
    return {
      stop: () => broker.stop(),
      async open(subscribers, onDelivery) {
        const sockets: WebSocket[] = [];
        for (let i = 0; i < subscribers; i++) {
          const socket = await openRaw(broker.port);
          socket.on('message', (data) => {
            JSON.parse(data.toString());
            onDelivery(i);
          });
          sockets.push(socket);
        }
        const publisher = await openRaw(broker.port);
        return {
          publish: () =>
            publisher.send(
              JSON.stringify({ type: 'pub', room: ROOM, event: 'tick', content: CONTENT_64B }),
            ),
          async close() {
            for (const socket of [publisher, ...sockets]) socket.close();
          },
        };
      },
    };
  },
};
