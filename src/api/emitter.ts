/** Rethrows outside the current call stack, as XState does with errors in observers. */
export function reportHandlerError(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}

type Handler<T> = (payload: T) => void;

/** A small typed event emitter; `on` returns the matching `off`. */
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
