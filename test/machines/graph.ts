import { expect } from 'vitest';
import type { AnyEventObject, AnyStateMachine, InspectionEvent } from 'xstate';
import { SimulatedClock } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';

/* Transition coverage from xstate/graph: every (state, event) edge of the machine's adjacency
 * map that enables a transition becomes a path (shortest path to the state + that event),
 * and each path is replayed on a real actor. The transitions the actor actually took are
 * collected from `@xstate.microstep` inspection events. */

type AnyTransition = {
  source: { id: string; transitions: Map<string, unknown[]>; always?: unknown[] };
  eventType: string;
  target?: Array<{ id: string }>;
};

type AnyNode = {
  id: string;
  states: Record<string, AnyNode>;
  transitions: Map<string, AnyTransition[]>;
  always?: AnyTransition[];
};

/** Stable name of a transition definition, the same for a machine and its `.provide()` copy. */
export function transitionKey(t: AnyTransition): string {
  const candidates =
    (t.eventType === '' ? t.source.always : t.source.transitions.get(t.eventType)) ?? [];
  const targets = (t.target ?? []).map((n) => n.id).join(',');
  return `${t.source.id} "${t.eventType}" #${candidates.indexOf(t)} -> ${targets || '(self)'}`;
}

export function allTransitionKeys(machine: AnyStateMachine): Set<string> {
  const keys = new Set<string>();
  const walk = (node: AnyNode) => {
    for (const list of node.transitions.values()) for (const t of list) keys.add(transitionKey(t));
    for (const t of node.always ?? []) keys.add(transitionKey(t));
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root as unknown as AnyNode);
  return keys;
}

/** Collects the transitions an actor takes, for `createActor(logic, {inspect})`. */
export function transitionRecorder(keys: Set<string>) {
  return (event: InspectionEvent) => {
    if (event.type !== '@xstate.microstep') return;
    for (const t of event._transitions) keys.add(transitionKey(t as unknown as AnyTransition));
  };
}

export interface GraphPath<TEvent extends AnyEventObject> {
  /** Events to send from the initial state; the last one is the edge under test. */
  steps: Array<{ event: TEvent; expected: string }>;
}

/** One path per enabled edge: the shortest path to its source state plus the edge. */
export function edgePaths<TEvent extends AnyEventObject>(
  machine: AnyStateMachine,
  options: {
    events: TEvent[];
    input?: unknown;
    serialize(snapshot: any): string;
    /** Also the (state, event) pairs that enable nothing, so a replay sees they change nothing. */
    includeDisabled?: boolean;
  },
): Array<GraphPath<TEvent>> {
  const serializeState = (snapshot: any) => options.serialize(snapshot);
  const traversal = { events: options.events, input: options.input, serializeState } as never;
  const shortest = new Map<string, Array<{ event: TEvent; expected: string }>>();
  for (const path of getShortestPaths(machine, traversal)) {
    const steps = path.steps
      .filter((step) => step.event.type !== 'xstate.init')
      .map((step) => ({ event: step.event as TEvent, expected: serializeState(step.state) }));
    shortest.set(serializeState(path.state), steps);
  }
  const paths: Array<GraphPath<TEvent>> = [];
  const adjacency = getAdjacencyMap(machine, traversal) as Record<
    string,
    { state: any; transitions: Record<string, { event: TEvent; state: any }> }
  >;
  for (const [key, { state, transitions }] of Object.entries(adjacency)) {
    const prefix = shortest.get(key);
    if (!prefix) continue;
    const idle: Array<{ event: TEvent; expected: string }> = [];
    const edges: Array<{ event: TEvent; expected: string }> = [];
    for (const { event, state: next } of Object.values(transitions)) {
      const step = { event, expected: serializeState(next) };
      if (machine.getTransitionData(state, event).length > 0) edges.push(step);
      else if (options.includeDisabled) idle.push(step);
    }
    // Events that enable nothing leave the state as it is, so they share one path: they are
    // replayed one after another ahead of the state's first enabled edge.
    if (edges.length === 0 && idle.length > 0) paths.push({ steps: [...prefix, ...idle] });
    edges.forEach((step, i) => {
      paths.push({ steps: [...prefix, ...(i === 0 ? idle : []), step] });
    });
  }
  return paths;
}

/** `connection.online.connecting` → `{online: 'connecting'}` (for `snapshot.matches`). */
export function stateValueOf(stateId: string): string | Record<string, unknown> {
  const [, ...path] = stateId.split('.');
  return path.reduceRight<string | Record<string, unknown>>((inner, key) => ({ [key]: inner }), '');
}

/** The state id named by an `xstate.after.<delay>.<stateId>` event. */
export function afterEvent(type: string): { delay: string; stateId: string } | undefined {
  const match = /^xstate\.after\.([^.]+)\.(.+)$/.exec(type);
  return match ? { delay: match[1], stateId: match[2] } : undefined;
}

/** Is the state node with this id active in the snapshot? */
export function isActive(snapshot: any, stateId: string): boolean {
  const [, ...path] = stateId.split('.');
  if (path.length === 0) return true;
  let value: unknown = snapshot.value;
  for (const key of path) {
    if (typeof value === 'string') return value === key && key === path[path.length - 1];
    if (!value || typeof value !== 'object' || !(key in value)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return true;
}

/** How long the named delay of `logic` (a machine or its `.provide()` copy) is in `snapshot`. */
export function delayOf(logic: AnyStateMachine, snapshot: any, delay: string): number {
  const implementation = (logic.implementations.delays as Record<string, unknown>)[delay];
  if (typeof implementation === 'number') return implementation;
  if (typeof implementation === 'function') {
    return implementation({ context: snapshot.context, event: { type: '' } }, undefined);
  }
  const ms = Number(delay);
  if (Number.isFinite(ms)) return ms;
  throw new Error(`no delay named ${delay}`);
}

/**
 * Replays one path step on `actor`: a timer event moves `clock` by the delay (only while its
 * state is active: a timer fires nowhere else), any other event is sent; a finished actor
 * takes nothing (and xstate warns about sending it one).
 */
export function replayStep(
  actor: { getSnapshot(): any; send(event: AnyEventObject): void },
  clock: { increment(ms: number): void },
  logic: AnyStateMachine,
  event: AnyEventObject,
): void {
  const before = actor.getSnapshot();
  if (before.status !== 'active') return;
  const after = afterEvent(event.type);
  if (!after) actor.send(event);
  else if (isActive(before, after.stateId)) clock.increment(delayOf(logic, before, after.delay));
}

/** The machine's transitions no replayed path took (a full replay leaves none). */
export function untaken(machine: AnyStateMachine, taken: Set<string>): string[] {
  return [...allTransitionKeys(machine)].filter((key) => !taken.has(key));
}

/** Looks up what a replayed edge did, failing the test when the edge was never replayed. */
export function edgeLookup<T>(
  edges: Map<string, T>,
  expectReplayed: (replayed: boolean, key: string) => void,
): (key: string) => T | undefined {
  return (key) => {
    expectReplayed(edges.has(key), key);
    return edges.get(key);
  };
}

/** A replayed actor with the side effects it asked for (socket calls, emitted commands). */
export interface ReplayedActor<TEffect> {
  actor: { getSnapshot(): any; send(event: AnyEventObject): void; stop(): void };
  effects: TEffect[];
}

/** An independent reference model of a machine: where it should be, and what it should do. */
export interface ReferenceModel<TModel extends { phase: string }, TEvent, TEffect> {
  modelOf(snapshot: any): TModel;
  predict(model: TModel, event: TEvent): { next: TModel; effects: TEffect[] };
  label(model: TModel): string;
  eventName(event: TEvent): string;
  serialize(snapshot: any): string;
  /** The model phase in which the actor is done. */
  finalPhase: string;
}

/**
 * Replays every path on a fresh actor over a SimulatedClock and checks each step three ways:
 * the actor is where the graph says, where the model says, and asked for the model's effects.
 * Records the transitions taken in `taken` and each edge's effects in `edges` (under `prefix`).
 */
export function replayEdges<
  TModel extends { phase: string },
  TEvent extends AnyEventObject,
  TEffect,
>(
  paths: Array<GraphPath<TEvent>>,
  options: {
    logic: AnyStateMachine;
    start(clock: SimulatedClock, inspect: (event: InspectionEvent) => void): ReplayedActor<TEffect>;
    model: ReferenceModel<TModel, TEvent, TEffect>;
    taken: Set<string>;
    edges: Map<string, TEffect[]>;
    prefix?: string;
  },
): void {
  const { model } = options;
  for (const path of paths) {
    const clock = new SimulatedClock();
    const { actor, effects } = options.start(clock, transitionRecorder(options.taken));
    const trail: string[] = [];
    for (const { event, expected } of path.steps) {
      const before = model.modelOf(actor.getSnapshot());
      effects.length = 0;
      replayStep(actor, clock, options.logic, event);
      trail.push(`${model.label(before)} × ${model.eventName(event)}`);
      const snapshot = actor.getSnapshot();
      const predicted = model.predict(before, event);
      expect(
        {
          graph: model.serialize(snapshot),
          model: model.modelOf(snapshot),
          done: snapshot.status === 'done',
          effects,
        },
        trail.join(' → '),
      ).toEqual({
        graph: expected,
        model: predicted.next,
        done: predicted.next.phase === model.finalPhase,
        effects: predicted.effects,
      });
      options.edges.set(`${options.prefix ?? ''}${trail.at(-1)}`, [...effects]);
    }
    actor.stop();
  }
}
