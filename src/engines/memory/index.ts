export {
  DEFAULT_HISTORY_BYTES,
  DEFAULT_HISTORY_SIZE,
  DEFAULT_HISTORY_TOTAL_BYTES,
  DEFAULT_UID_CLAIM_TTL_MS,
  DEFAULT_UID_CLAIMS,
  type MemoryEngine,
  type MemoryEngineOptions,
  type MemoryHistoryOptions,
  memoryEngine,
} from './memoryEngine.js';
export type { MemoryQueuesOptions } from './memoryQueues.js';
