import { type AnyActorRef, createActor, fromTransition, type Observer } from 'xstate';
import type { Clock } from './options.js';

/** Sessions that share one XState system. */
const SESSIONS_PER_SYSTEM = 64;

/** A parent that only has to exist: it ignores its children's done and error events. */
const idleParent = fromTransition((state: null) => state, null);

/**
 * Parents for session actors. An actor without a parent builds an XState system of its own
 * (a scheduler, registries and a dozen closures: ~2.3 KB per idle connection); children share
 * their parent's. A system serves at most SESSIONS_PER_SYSTEM sessions, because an actor that
 * ends scans every pending timer of its system. A parent is held by its children only, once
 * the next one is in use, so it goes with the last of them.
 */
export class SessionParents {
  #current: AnyActorRef | null = null;
  #used = 0;

  constructor(private readonly options: { clock: Clock; inspect: Observer<unknown> | undefined }) {}

  next(): AnyActorRef {
    if (this.#current === null || this.#used === SESSIONS_PER_SYSTEM) {
      const { clock, inspect } = this.options;
      this.#current = createActor(idleParent, { clock, ...(inspect && { inspect }) }).start();
      this.#used = 0;
    }
    this.#used++;
    return this.#current;
  }
}
