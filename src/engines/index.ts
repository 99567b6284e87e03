export type * from './Engine.js';
