import { WebSocketServer } from 'ws';

/**
 * The raw `ws` reference broker: every frame from one peer is relayed to every other peer, and
 * frames marked as publishes are acked to their sender, which is the least a broker must do.
 */
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    const text = data.toString();
    for (const peer of wss.clients) if (peer !== socket) peer.send(text, { binary: isBinary });
    if (text.includes('"ack"')) socket.send('{"type":"ack"}');
  });
});
wss.on('listening', () => {
  const address = wss.address();
  if (address && typeof address === 'object') process.send?.({ port: address.port });
});
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
