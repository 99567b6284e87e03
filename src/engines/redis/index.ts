export { type RedisEngine, type RedisEngineOptions, redisEngine } from './redisEngine.js';
export type { RedisQueuesOptions } from './redisQueues.js';
