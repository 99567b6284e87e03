export type * from '../engines/Engine.js';
export {
  type MemoryEngine,
  type MemoryEngineOptions,
  type MemoryQueuesOptions,
  memoryEngine,
} from '../engines/memory/index.js';
export type * from '../engines/QueueEngine.js';
export {
  type RedisEngine,
  type RedisEngineOptions,
  type RedisQueuesOptions,
  redisEngine,
} from '../engines/redis/index.js';
export { createServer, type Server } from './createServer.js';
export type { EventHandler, HandlerContext } from './eventHandlers.js';
export type { HttpRoute, HttpRouter } from './http/router.js';
export { type JwtAuth, type JwtAuthOptions, jwtAuth } from './jwtAuth.js';
export type {
  Authorize,
  AuthorizeAction,
  Clock,
  RateLimitOptions,
  ServerAuth,
  ServerOptions,
  VerifiedToken,
} from './options.js';
export type { ServerStats } from './stats.js';
