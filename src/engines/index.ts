export type * from './Engine.js';
export * from './memory/index.js';
