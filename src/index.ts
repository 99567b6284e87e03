export * from './errors/index.js';
export type * from './protocol/frames.js';
