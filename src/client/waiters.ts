import type { StatewireError } from '../errors/StatewireError.js';

/** Promises waiting for one outcome (subscribed, registered, signed in), settled together. */
export class Waiters<T = void> {
  #pending: Array<{ resolve(value: T): void; reject(error: StatewireError): void }> = [];

  get size(): number {
    return this.#pending.length;
  }

  wait(): Promise<T> {
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  resolve(value: T): void {
    for (const waiter of this.#take()) waiter.resolve(value);
  }

  reject(error: StatewireError): void {
    for (const waiter of this.#take()) waiter.reject(error);
  }

  #take() {
    const pending = this.#pending;
    this.#pending = [];
    return pending;
  }
}
