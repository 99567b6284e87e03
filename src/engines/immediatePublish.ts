import type { Engine, PublishInput, StoredMessage } from './Engine.js';

/** An engine's `publish` answered in the same turn: what an in-process store can do. */
export type PublishNow = (input: PublishInput) => StoredMessage;

/**
 * Keyed by the engine object itself, not by a method on it: a wrapper built by spreading an
 * engine and overriding `publish` is another object, so its override is never bypassed.
 */
const immediate = new WeakMap<Engine, PublishNow>();

/** `engine` stores in-process: `publishNow` does what its `publish` does, without a promise. */
export function offerImmediatePublish(engine: Engine, publishNow: PublishNow): void {
  immediate.set(engine, publishNow);
}

export function immediatePublishOf(engine: Engine): PublishNow | undefined {
  return immediate.get(engine);
}
