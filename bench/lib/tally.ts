/** What the chaos runs count against a publisher's acked messages. */
export interface Tally {
  lost: number;
  duplicates: number;
  reordered: number;
}

const NOTHING_WRONG: Tally = { lost: 0, duplicates: 0, reordered: 0 };

/**
 * One subscriber's view of one publisher: `seen` its sequence numbers in arrival order,
 * `acked` those the publisher was told are stored (each must have arrived, once, in order).
 */
export function tallyStream(seen: readonly number[], acked: Iterable<number>): Tally {
  const unique = new Set(seen);
  let reordered = 0;
  for (let k = 1; k < seen.length; k++) if (seen[k] < seen[k - 1]) reordered += 1;
  let lost = 0;
  for (const n of acked) if (!unique.has(n)) lost += 1;
  return { lost, duplicates: seen.length - unique.size, reordered };
}

export function sumTallies(tallies: Iterable<Tally>): Tally {
  const sum = { ...NOTHING_WRONG };
  for (const t of tallies) {
    sum.lost += t.lost;
    sum.duplicates += t.duplicates;
    sum.reordered += t.reordered;
  }
  return sum;
}

/** 1, 2, …, last. */
export function* upTo(last: number): Generator<number> {
  for (let n = 1; n <= last; n++) yield n;
}

/** Whether a chaos run passed: nothing lost, repeated, reordered or echoed, and no publish failed. */
export function passed(tally: Tally, echoed: number, failedPublishes: number): boolean {
  return tally.lost + tally.duplicates + tally.reordered + echoed + failedPublishes === 0;
}
