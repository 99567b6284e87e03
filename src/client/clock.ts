/** XState's clock interface (what `SimulatedClock` implements). */
export interface Timers {
  setTimeout(fn: (...args: any[]) => void, timeout: number): any;
  clearTimeout(id: any): void;
}

/** XState's clock, optionally with `now()` (SimulatedClock has one) for expiry and ping times. */
export type ClientClock = Timers & { now?(): number };

/** The real clock, for the few plain-code timers (request timeouts) when none is given. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/** Epoch ms on the given clock. */
export function epochNow(clock: ClientClock | undefined): () => number {
  return clock?.now ? () => clock.now!() : () => Date.now();
}

/** A monotonic ms counter on the given clock, for round-trip times. */
export function monotonicNow(clock: ClientClock | undefined): () => number {
  return clock?.now ? () => clock.now!() : () => performance.now();
}
