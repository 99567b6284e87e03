export type * from './Engine.js';
export * from './memory/index.js';
export type * from './QueueEngine.js';
