export * from './credentials.js';
export * from './memoryTransport.js';
export * from './network.js';
export * from './socket.js';
export * from './transport.js';
export * from './webSocketTransport.js';
