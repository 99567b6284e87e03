/** The timers an engine runs on (xstate's `SimulatedClock` is one). */
export interface EngineClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Real timers that do not keep the process alive. */
export const realEngineClock: EngineClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

/** Runs `tick` every `ms` on `clock` until the returned function stops it. */
export function every(clock: EngineClock, ms: number, tick: () => void): () => void {
  let id: unknown;
  const run = () => {
    // Armed before the tick, so a tick that stops the loop stops it for good.
    id = clock.setTimeout(run, ms);
    tick();
  };
  id = clock.setTimeout(run, ms);
  return () => clock.clearTimeout(id);
}
