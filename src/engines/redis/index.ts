export { type RedisEngine, type RedisEngineOptions, redisEngine } from './redisEngine.js';
export type { RedisQueueOptions, RedisQueuesOptions } from './redisQueues.js';
