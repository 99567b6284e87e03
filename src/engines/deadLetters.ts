import type { DeadLetter } from './QueueEngine.js';

/** Who hears of dead letters; a listener that throws does not keep a letter from the others. */
export class DeadLetterListeners {
  readonly #listeners = new Set<(letter: DeadLetter) => void>();

  add(listener: (letter: DeadLetter) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  notify(letter: DeadLetter): void {
    for (const listener of this.#listeners) {
      try {
        listener(letter);
      } catch {}
    }
  }
}
