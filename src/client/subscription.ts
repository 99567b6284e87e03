import { StatewireError } from '../errors/StatewireError.js';
import type { SubscriptionState } from '../machines/subscription.js';
import { reportHandlerError } from './emitter.js';
import type { Subscription, SubscriptionEvents } from './types.js';
import { Waiters } from './waiters.js';

/** What a handle needs from the shared room record. */
export interface RoomRecordView {
  readonly state: SubscriptionState;
  readonly error?: { code: StatewireError['code']; message: string };
  release(handle: RoomSubscription): void;
}

type Handlers = {
  [K in keyof SubscriptionEvents]?: Array<(payload: SubscriptionEvents[K]) => void>;
};

/**
 * A user's handle on a room. Several handles on one room share one server subscription (and
 * one actor); each has its own handlers and its own `close()`.
 */
export class RoomSubscription implements Subscription {
  readonly room: string;
  #record: RoomRecordView;
  #closed = false;
  #handlers: Handlers | undefined;
  /** Made on the first `ready()` that has to wait: most handles never need one. */
  #waiters: Waiters | undefined;

  constructor(room: string, record: RoomRecordView) {
    this.room = room;
    this.#record = record;
  }

  get state(): SubscriptionState {
    return this.#closed ? 'unsubscribed' : this.#record.state;
  }

  /** Resolves once subscribed; rejects when the subscription fails or is closed first. */
  ready(): Promise<void> {
    const settled = this.#settled();
    if (settled !== undefined) {
      return settled === true ? Promise.resolve() : Promise.reject(settled);
    }
    this.#waiters ??= new Waiters();
    return this.#waiters.wait();
  }

  on<K extends keyof SubscriptionEvents>(
    name: K,
    handler: (payload: SubscriptionEvents[K]) => void,
  ): () => void {
    this.#handlers ??= {};
    this.#handlers[name] ??= [];
    const list = this.#handlers[name] as Array<(payload: SubscriptionEvents[K]) => void>;
    list.push(handler);
    return () => {
      const index = list.indexOf(handler);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /** Stops this handle; the server subscription ends with the last handle of the room. */
  close(): void {
    if (this.#closed) return;
    const from = this.state;
    this.#closed = true;
    this.#record.release(this);
    this.#notifyState(from, 'unsubscribed');
  }

  /** @internal the shared record changed state */
  stateChanged(from: SubscriptionState, to: SubscriptionState): void {
    if (this.#closed) return;
    this.#notifyState(from, to);
  }

  /** @internal */
  emit<K extends keyof SubscriptionEvents>(name: K, payload: SubscriptionEvents[K]): void {
    if (!this.#closed) this.#dispatch(name, payload);
  }

  #dispatch<K extends keyof SubscriptionEvents>(name: K, payload: SubscriptionEvents[K]): void {
    const list = this.#handlers?.[name] as
      | Array<(payload: SubscriptionEvents[K]) => void>
      | undefined;
    if (!list) return;
    for (const handler of list.length === 1 ? list : [...list]) {
      try {
        handler(payload);
      } catch (error) {
        reportHandlerError(error);
      }
    }
  }

  #notifyState(from: SubscriptionState, to: SubscriptionState): void {
    if (from === to) return;
    this.#settleWaiters();
    this.#dispatch('state', { from, to });
    if (to === 'unsubscribed') this.#handlers = undefined;
  }

  /** true: subscribed; an error: will never be; undefined: not yet. */
  #settled(): true | StatewireError | undefined {
    switch (this.state) {
      case 'subscribed':
        return true;
      case 'unsubscribed':
        return new StatewireError('DISCONNECTED', `subscription to ${this.room} closed`);
      case 'failed': {
        const error = this.#record.error;
        return new StatewireError(
          error?.code ?? 'UNAVAILABLE',
          error?.message ?? 'subscription failed',
        );
      }
      default:
        return undefined;
    }
  }

  #settleWaiters(): void {
    // Settled waiters leave an empty list: no error (and its stack trace) is built for nobody.
    if (!this.#waiters || this.#waiters.size === 0) return;
    const settled = this.#settled();
    if (settled === undefined) return;
    if (settled === true) this.#waiters.resolve();
    else this.#waiters.reject(settled);
  }
}
