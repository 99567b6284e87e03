import { isThenable } from './thenable.js';

/**
 * Runs one connection's steps in arrival order. A step that finishes synchronously costs
 * nothing; once one goes async (an async `authorize`, an engine look-up), later steps wait for it.
 */
export class StepOrder {
  private tail: Promise<void> | null = null;

  /** Runs `step(a, b)`: arguments instead of a closure spare the hot path an allocation. */
  run<T, A = undefined, B = undefined>(
    step: (a: A, b: B) => T | Promise<T>,
    a?: A,
    b?: B,
  ): T | Promise<T> {
    if (this.tail === null) {
      const result = step(a as A, b as B);
      if (isThenable(result)) this.track(result);
      return result;
    }
    const run = this.tail.then(() => step(a as A, b as B));
    this.track(run);
    return run;
  }

  private track(step: PromiseLike<unknown>): void {
    const tail = Promise.resolve(step).then(
      () => {},
      () => {},
    );
    this.tail = tail;
    tail.then(() => {
      if (this.tail === tail) this.tail = null;
    });
  }
}
