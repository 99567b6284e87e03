export * from './closeCodes.js';
export * from './codec.js';
export type * from './frames.js';
export * from './validate.js';
export * from './version.js';
