import { StatewireError } from '../errors/StatewireError.js';

/** JSON nested deeper than this is refused (SPEC §2): deep values overflow the stack of whoever serialises them. */
export const DEFAULT_MAX_DEPTH = 64;

/**
 * Whether `value` nests arrays or objects more than `maxDepth` levels deep (a scalar is 0, `[]`
 * and `{}` are 1). Stops as soon as the limit is passed, so its own recursion stays shallow.
 */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (maxDepth <= 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (exceedsDepth(item, maxDepth - 1)) return true;
    return false;
  }
  for (const key in value) {
    if (exceedsDepth((value as Record<string, unknown>)[key], maxDepth - 1)) return true;
  }
  return false;
}

/** Throws BAD_REQUEST when `value` (the `field` of a message) nests deeper than `maxDepth`. */
export function requireDepthWithin(value: unknown, field: string, maxDepth = DEFAULT_MAX_DEPTH) {
  if (exceedsDepth(value, maxDepth)) {
    throw new StatewireError('BAD_REQUEST', `${field} is nested deeper than ${maxDepth} levels`);
  }
}
