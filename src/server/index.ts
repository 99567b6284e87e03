export type * from '../engines/Engine.js';
