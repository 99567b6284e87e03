/** A snapshot, as far as public state names need it. */
export interface Tagged {
  hasTag(tag: string): boolean;
}

/**
 * The public name of a snapshot's state: every state of a machine carries the name it shows
 * as a tag, so no fold of `snapshot.value` has to know the machine's nesting.
 */
export function publicStateName<N extends string>(
  snapshot: Tagged,
  names: readonly N[],
  fallback: N,
): N {
  return names.find((name) => snapshot.hasTag(name)) ?? fallback;
}
