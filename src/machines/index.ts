export * from './auth.js';
export * from './connection.js';
export * from './linkSession.js';
export * from './queueConsumer.js';
export * from './subscription.js';
