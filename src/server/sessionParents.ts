import {
  type AnyActorLogic,
  type AnyActorRef,
  createActor,
  fromTransition,
  type Observer,
} from 'xstate';
import type { Clock } from './options.js';

/** Sessions that share one XState system. */
const SESSIONS_PER_SYSTEM = 64;

/**
 * Parents for session actors. An actor without a parent builds an XState system of its own
 * (a scheduler, registries and a dozen closures: ~2.3 KB per idle connection); children share
 * their parent's. A system serves at most SESSIONS_PER_SYSTEM sessions, because an actor that
 * ends scans every pending timer of its system. A parent is held by its children only, once
 * the next one is in use, so it goes with the last of them. It hears of a session that failed
 * (an error event, sent to the parent instead of to observers) and reports it; everything
 * else it is sent (done events) it ignores.
 */
export class SessionParents {
  #current: AnyActorRef | null = null;
  #used = 0;
  readonly #logic: AnyActorLogic;

  constructor(
    private readonly options: {
      clock: Clock;
      inspect: Observer<unknown> | undefined;
      onError: (error: unknown, where: string) => void;
    },
  ) {
    this.#logic = fromTransition((state: null, event) => {
      if (event.type.startsWith('xstate.error.actor.')) options.onError(event.error, 'session');
      return state;
    }, null);
  }

  next(): AnyActorRef {
    if (this.#current === null || this.#used === SESSIONS_PER_SYSTEM) {
      const { clock, inspect } = this.options;
      this.#current = createActor(this.#logic, { clock, ...(inspect && { inspect }) }).start();
      this.#used = 0;
    }
    this.#used++;
    return this.#current;
  }
}
