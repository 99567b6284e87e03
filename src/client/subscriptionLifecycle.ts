import { type Actor, type AnyActorRef, createActor, type SnapshotFrom } from 'xstate';
import {
  type SubscriptionEffect,
  type SubscriptionEvent,
  type SubscriptionMachine,
  subscriptionMachine,
} from '../machines/subscription.js';
import { SharedSteps } from './sharedSteps.js';

export type SubscriptionSnapshot = SnapshotFrom<SubscriptionMachine>;
export type SubscriptionActor = Actor<SubscriptionMachine>;

/** What every subscription lifecycle of one client shares. */
export interface LifecycleHost {
  /** The machine with the client's actions. */
  logic: SubscriptionMachine;
  /** Parent of the actors (shared system: clock, inspection). */
  parent: AnyActorRef;
  /** The client's actions, for steps taken without an actor. */
  effects: Record<SubscriptionEffect, (room: string) => void>;
  /** Every lifecycle gets its actor at once (an inspector is watching). */
  eager: boolean;
}

let sharedSteps: SharedSteps<SubscriptionMachine, SubscriptionEffect> | undefined;

function steps(): SharedSteps<SubscriptionMachine, SubscriptionEffect> {
  sharedSteps ??= new SharedSteps(
    subscriptionMachine,
    new Set<SubscriptionEffect>(['requestSubscribe', 'requestUnsubscribe']),
  );
  return sharedSteps;
}

/**
 * The subscription machine of one room, run by its own actor only once that is needed: until
 * then (subscribe, resubscribe, close: events without data, steps without timers) it walks the
 * machine's shared steps, the same snapshots an actor would reach. The actor is made from the
 * current snapshot when something looks (`actor()`), an inspector is attached, or a step needs
 * one (a refusal, its backoff timer, a failure).
 */
export class SubscriptionLifecycle {
  #snapshot: SubscriptionSnapshot = steps().initial;
  #actor: SubscriptionActor | undefined;
  /** Events sent by an effect while a step runs wait for it, as in an actor's mailbox. */
  #queue: SubscriptionEvent[] | undefined;
  #stepping = false;

  constructor(
    readonly room: string,
    private readonly host: LifecycleHost,
  ) {
    if (host.eager) this.actor();
  }

  send(event: SubscriptionEvent): void {
    if (this.#stepping) {
      this.#queue ??= [];
      this.#queue.push(event);
      return;
    }
    if (this.#actor) {
      this.#actor.send(event);
      return;
    }
    this.#stepping = true;
    try {
      this.#step(event);
      for (let next = this.#queue?.shift(); next; next = this.#queue?.shift()) this.#step(next);
    } finally {
      this.#stepping = false;
      this.#queue = undefined;
    }
  }

  getSnapshot(): SubscriptionSnapshot {
    return this.#actor ? this.#actor.getSnapshot() : this.#snapshot;
  }

  /** The live actor, made from the current snapshot the first time. */
  actor(): SubscriptionActor {
    this.#actor ??= createActor(this.host.logic, {
      parent: this.host.parent,
      id: this.room,
      snapshot: this.#snapshot,
    }).start();
    return this.#actor;
  }

  #step(event: SubscriptionEvent): void {
    if (this.#actor) {
      this.#actor.send(event);
      return;
    }
    const step = steps().next(this.#snapshot, event);
    if (!step) {
      this.actor().send(event);
      return;
    }
    this.#snapshot = step.snapshot;
    for (const effect of step.effects) this.host.effects[effect](this.room);
  }
}
