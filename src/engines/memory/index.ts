export {
  DEFAULT_HISTORY_SIZE,
  type MemoryEngine,
  type MemoryEngineOptions,
  memoryEngine,
} from './memoryEngine.js';
export type { MemoryQueuesOptions } from './memoryQueues.js';
