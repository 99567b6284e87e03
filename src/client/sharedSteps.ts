import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventFromLogic,
  initialTransition,
  type SnapshotFrom,
  transition,
} from 'xstate';

export interface SharedStep<TMachine extends AnyStateMachine, TEffect extends string> {
  snapshot: SnapshotFrom<TMachine>;
  /** The step's actions, all of them effects the caller performs. */
  effects: readonly TEffect[];
}

/**
 * The transitions of a machine whose context holds nothing per actor, computed by xstate once
 * per (snapshot, event type) and shared by every actor on that path: ten thousand subscriptions
 * take the same few steps, and an xstate actor costs tens of µs to create and step.
 *
 * Only an event that carries nothing but its type qualifies, and only a step whose actions are
 * all `effects` (no timer, no assign from event data, no child): for anything else `next` is
 * undefined and the caller needs a real actor. Snapshots of equal state and (JSON) context are
 * one shared object, so going round a cycle (online, offline, online…) adds no new steps.
 */
export class SharedSteps<TMachine extends AnyStateMachine, TEffect extends string> {
  readonly initial: SnapshotFrom<TMachine>;
  readonly #canonical = new Map<string, SnapshotFrom<TMachine>>();
  readonly #steps = new Map<
    SnapshotFrom<TMachine>,
    Map<string, SharedStep<TMachine, TEffect> | null>
  >();

  constructor(
    private readonly machine: TMachine,
    private readonly effects: ReadonlySet<TEffect>,
  ) {
    const [initial, actions] = initialTransition(machine as AnyStateMachine);
    if (actions.length > 0) throw new Error(`${machine.id}: initial actions cannot be shared`);
    this.initial = this.#canonicalOf(initial as SnapshotFrom<TMachine>);
  }

  /** `snapshot` must be `initial` or one this returned. */
  next(
    snapshot: SnapshotFrom<TMachine>,
    event: EventFromLogic<TMachine>,
  ): SharedStep<TMachine, TEffect> | undefined {
    if (Object.keys(event).length !== 1) return undefined;
    let bySnapshot = this.#steps.get(snapshot);
    if (!bySnapshot) {
      bySnapshot = new Map();
      this.#steps.set(snapshot, bySnapshot);
    }
    let step = bySnapshot.get(event.type);
    if (step === undefined) {
      step = this.#compute(snapshot, event);
      bySnapshot.set(event.type, step);
    }
    return step ?? undefined;
  }

  #compute(
    snapshot: SnapshotFrom<TMachine>,
    event: EventFromLogic<TMachine>,
  ): SharedStep<TMachine, TEffect> | null {
    const [next, actions] = transition(this.machine, snapshot, event);
    const effects = actions.map((action) => action.type as TEffect);
    if (!effects.every((effect) => this.effects.has(effect))) return null;
    if (Object.keys((next as AnyMachineSnapshot).children).length > 0) return null;
    return { snapshot: this.#canonicalOf(next as SnapshotFrom<TMachine>), effects };
  }

  #canonicalOf(snapshot: SnapshotFrom<TMachine>): SnapshotFrom<TMachine> {
    const { status, value, context } = snapshot as AnyMachineSnapshot;
    const key = JSON.stringify([status, value, context]);
    const known = this.#canonical.get(key);
    if (known) return known;
    this.#canonical.set(key, snapshot);
    return snapshot;
  }
}
