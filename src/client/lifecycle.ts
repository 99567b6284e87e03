import type { Actor } from 'xstate';
import { StatewireError } from '../errors/StatewireError.js';
import {
  type ConnectionContext,
  type ConnectionStateName,
  type connectionMachine,
  connectionStateName,
} from '../machines/connection.js';
import type { Calls } from './calls.js';
import { type ConnectionFollower, phaseOf } from './dataPath.js';
import type { Emitter } from './emitter.js';
import { emitLifecycle } from './lifecycleEvents.js';
import type { Outbox } from './outbox.js';
import type { ClientEvents } from './types.js';
import { Waiters } from './waiters.js';

export type ConnectionActor = Actor<typeof connectionMachine>;

export interface LifecycleDeps {
  /** Not started yet: the lifecycle sees its first snapshot. */
  connection: ConnectionActor;
  outbox: Outbox;
  calls: Calls;
  /** Told of every phase change, in this order, after the calls. */
  followers: readonly ConnectionFollower[];
  events: Emitter<ClientEvents>;
}

/**
 * Follows the connection actor for the data path: the client's public state, the phase it hands
 * to the calls and the followers, the `connect()` waiters and the lifecycle events.
 */
export class Lifecycle {
  #state: ConnectionStateName = 'idle';
  readonly #signedIn = new Waiters();

  constructor(private readonly deps: LifecycleDeps) {
    deps.connection.subscribe((snapshot) => this.#onConnection(snapshot));
  }

  get state(): ConnectionStateName {
    return this.#state;
  }

  /** Resolves once signed in; rejects when the client stops first. */
  connect(): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    const signedIn = this.#signedIn.wait();
    if (this.#state === 'idle' || this.#state === 'closed' || this.#state === 'reconnecting') {
      this.deps.connection.send({ type: 'CONNECT' });
    }
    return signedIn;
  }

  /** Opens the connection on first use (lazy). */
  wake(): void {
    if (this.#state === 'idle' || this.#state === 'closed') {
      this.deps.connection.send({ type: 'CONNECT' });
    }
  }

  disconnect(): void {
    if (this.#state === 'idle' || this.#state === 'closed') {
      this.#stopped(undefined);
      return;
    }
    this.deps.connection.send({ type: 'DISCONNECT' });
  }

  #onConnection(snapshot: ReturnType<ConnectionActor['getSnapshot']>): void {
    const to = connectionStateName(snapshot);
    const from = this.#state;
    if (to === from) return;
    this.#state = to;
    const context = snapshot.context;
    const { calls, followers, outbox } = this.deps;

    // Data path first, so that handlers of the events below see a consistent client.
    const phase = phaseOf(to, context);
    if (phase === 'online') {
      outbox.maxFrameBytes = context.maxPayload ?? outbox.maxFrameBytes;
      calls.setPhase('online');
      for (const follower of followers) follower.goOnline();
      calls.flush();
      this.#signedIn.resolve();
    } else if (phase === 'stopped') {
      this.#stopped(context.failure);
    } else {
      calls.setPhase(phase);
      if (from === 'connected') for (const follower of followers) follower.goOffline();
    }

    emitLifecycle(this.deps.events, from, to, context);
  }

  /** Idle or closed: nothing may stay pending. */
  #stopped(failure: ConnectionContext['failure']): void {
    const error = failure
      ? new StatewireError(failure.code, failure.message)
      : new StatewireError('DISCONNECTED', 'client disconnected');
    this.deps.calls.setPhase('stopped', error);
    const stopFailure = failure ? { code: failure.code, message: failure.message } : undefined;
    for (const follower of this.deps.followers) follower.stop(stopFailure);
    this.#signedIn.reject(error);
  }
}
