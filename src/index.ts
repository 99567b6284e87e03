export type { ChallengeSigner, TokenResult, TokenSource } from './actors/credentials.js';
export type { FetchFunction } from './actors/httpFetch.js';
export type { NetworkEventTarget } from './actors/network.js';
export type { Transport, TransportHandlers, TransportSocket } from './actors/transport.js';
export { webSocketTransport } from './actors/webSocketTransport.js';
export * from './api/index.js';
export * from './errors/index.js';
export type {
  ConnectionStateName,
  HeartbeatPolicy,
  ReconnectPolicy,
} from './machines/connection.js';
export type { QueueConsumerState } from './machines/queueConsumer.js';
export type { SubscriptionState } from './machines/subscription.js';
export type * from './protocol/frames.js';
