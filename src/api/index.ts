export type { ClientClock } from './clock.js';
export * from './createClient.js';
export type {
  DeadLetterEvent,
  QueueDelivery,
  QueueHandler,
  QueueMessageAck,
  QueueMessageOptions,
  QueueRenamedEvent,
  RpcOptions,
} from './queues.js';
export type { ActorSnapshotJson, ClientSnapshot } from './snapshot.js';
export type { PresenceEvent, RecoveryInfo, SubscriptionEvents } from './subscription.js';
export { Subscription } from './subscription.js';
export type * from './types.js';
export { withClient } from './withClient.js';
