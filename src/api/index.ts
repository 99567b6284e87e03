export type { ClientClock } from '../client/clock.js';
export type {
  DeadLetterEvent,
  QueueDelivery,
  QueueHandler,
  QueueMessageAck,
  QueueMessageOptions,
  QueueRenamedEvent,
  RpcOptions,
} from '../client/queueTypes.js';
export type { ActorSnapshotJson, ClientSnapshot } from '../client/snapshot.js';
export type * from '../client/types.js';
export * from './createClient.js';
export { withClient } from './withClient.js';
