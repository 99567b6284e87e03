import { createServer } from 'node:http';
import { Server } from 'socket.io';

/**
 * The socket.io reference broker: `join` puts a socket in a room (acked), `pub` broadcasts
 * its content to the room's other sockets, which is socket.io's own room fan-out.
 */
const http = createServer();
const io = new Server(http, { serveClient: false, transports: ['websocket'] });
io.on('connection', (socket) => {
  socket.on('join', (room: string, ack: () => void) => {
    socket.join(room);
    ack();
  });
  socket.on('pub', (room: string, content: unknown) => {
    socket.to(room).emit('tick', content);
  });
});
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  if (address && typeof address === 'object') process.send?.({ port: address.port });
});
process.on('SIGTERM', () => io.close(() => process.exit(0)));
