import { connect, type NatsConnection } from 'nats';
import { startNatsServer } from '../../lib/natsServer.js';
import { CONTENT_64B } from '../../lib/rawPeer.js';
import { type Peer, ROOM } from './types.js';

/** nats.js (core publish/subscribe, no JetStream) against its own nats-server. */
export const natsPeer: Peer = {
  key: 'nats',
  label: 'nats.js + nats-server',
  async start() {
    const server = await startNatsServer();
    if ('missing' in server) return server;
    const servers = `127.0.0.1:${server.port}`;
    return {
      stop: () => server.stop(),
      async open(subscribers, onDelivery) {
        const connections: NatsConnection[] = [];
        for (let i = 0; i < subscribers; i++) {
          const nc = await connect({ servers });
          nc.subscribe(ROOM, {
            callback: (error, msg) => {
              if (error) throw error;
              msg.json();
              onDelivery(i);
            },
          });
          await nc.flush(); // the server has the subscription before anything is published
          connections.push(nc);
        }
        const publisher = await connect({ servers });
        return {
          publish: () => publisher.publish(ROOM, JSON.stringify(CONTENT_64B)),
          async close() {
            await Promise.all([publisher, ...connections].map((nc) => nc.close()));
          },
        };
      },
    };
  },
};
