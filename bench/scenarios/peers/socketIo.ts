import { io, type Socket } from 'socket.io-client';
import { startBroker } from '../../lib/child.js';
import { CONTENT_64B } from '../../lib/rawPeer.js';
import { type Peer, ROOM } from './types.js';

/** Opens one socket.io connection of its own (no multiplexing), WebSocket transport only. */
function openSocketIo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** socket.io server + client: `pub` is broadcast by the server to the room's other sockets. */
export const socketIoPeer: Peer = {
  key: 'socketIo',
  label: 'socket.io',
  async start() {
    const broker = await startBroker('socketio.ts');
    return {
      stop: () => broker.stop(),
      async open(subscribers, onDelivery) {
        const sockets: Socket[] = [];
        for (let i = 0; i < subscribers; i++) {
          const socket = await openSocketIo(broker.port);
          socket.on('tick', () => onDelivery(i));
          await socket.emitWithAck('join', ROOM);
          sockets.push(socket);
        }
        const publisher = await openSocketIo(broker.port);
        return {
          publish: () => publisher.emit('pub', ROOM, CONTENT_64B),
          async close() {
            for (const socket of [publisher, ...sockets]) socket.disconnect();
          },
        };
      },
    };
  },
};
