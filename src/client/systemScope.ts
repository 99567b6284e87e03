import type { ActorSystem } from 'xstate';

export type AnySystem = ActorSystem<any>;

/**
 * One client's part of a machine provided once for every client, found through the client's
 * actor system (its actors and their children share one).
 */
export class SystemScope<T> {
  readonly #values = new WeakMap<AnySystem, T>();

  constructor(private readonly what: string) {}

  set(system: AnySystem, value: T): void {
    this.#values.set(system, value);
  }

  of(system: AnySystem): T {
    const value = this.#values.get(system);
    if (value === undefined) throw new Error(`statewire: ${this.what} outside its client`);
    return value;
  }
}
