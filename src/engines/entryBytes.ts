import { jsonOf } from '../protocol/codec.js';
import type { Json } from '../protocol/frames.js';

/** What an entry costs beside its JSON value and strings: fields, offsets, bookkeeping. */
export const ENTRY_OVERHEAD_BYTES = 96;

/**
 * The bytes a history message or queue item is charged for in the byte budgets: its value's
 * JSON length, its strings' lengths and a fixed overhead (the Redis scripts count the same).
 */
export function entryBytes(value: Json, ...texts: Array<string | undefined>): number {
  return entryBytesOfJson(jsonOf(value), ...texts);
}

/** `entryBytes` of a value already encoded as `json`. */
export function entryBytesOfJson(json: string, ...texts: Array<string | undefined>): number {
  let bytes = ENTRY_OVERHEAD_BYTES + json.length;
  for (const text of texts) bytes += text?.length ?? 0;
  return bytes;
}
