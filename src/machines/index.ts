export * from './auth.js';
export * from './connection.js';
export * from './subscription.js';
export * from './queueConsumer.js';
