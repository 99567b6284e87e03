/**
 * A user handler threw: logged, never rethrown. Rethrowing (even later) would end a Node
 * process for a bug in one handler; the `error` event is not used, as its own handler may throw.
 */
export function reportHandlerError(error: unknown): void {
  console.error('statewire: an event handler threw', error);
}

type Handler<T> = (payload: T) => void;

/**
 * A small typed event emitter; `on` returns the matching `off`. A handler that throws does not
 * stop the others: its error goes to `console.error` (see `reportHandlerError`).
 */
export class Emitter<Events extends object> {
  readonly #handlers = new Map<keyof Events, Set<Handler<never>>>();

  on<K extends keyof Events>(name: K, handler: Handler<Events[K]>): () => void {
    let set = this.#handlers.get(name);
    if (!set) {
      set = new Set();
      this.#handlers.set(name, set);
    }
    set.add(handler as Handler<never>);
    return () => {
      set.delete(handler as Handler<never>);
    };
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.#handlers.get(name);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        (handler as Handler<Events[K]>)(payload);
      } catch (error) {
        reportHandlerError(error);
      }
    }
  }
}
