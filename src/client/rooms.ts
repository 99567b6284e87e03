import type { AnyActorRef } from 'xstate';
import type { StatewireError } from '../errors/StatewireError.js';
import {
  type SubscriptionEffect,
  type SubscriptionEvent,
  type SubscriptionState,
  subscriptionMachine,
  subscriptionStateName,
} from '../machines/subscription.js';
import type {
  JoinMsg,
  LeaveMsg,
  RoomMessage,
  RoomMessageEntry,
  RoomMessagesMsg,
  StreamPosition,
} from '../protocol/frames.js';
import type { Calls } from './calls.js';
import { reportHandlerError } from './emitter.js';
import { OwnMessages } from './ownMessages.js';
import { mirrorState } from './stateMirror.js';
import { RoomSubscription } from './subscription.js';
import { type LifecycleHost, SubscriptionLifecycle } from './subscriptionLifecycle.js';
import { SystemScope } from './systemScope.js';
import type { Message, MessageHandler, Subscription } from './types.js';

interface SubscribeAnswer {
  epoch: string;
  offset: number;
  recovered?: boolean;
  missed?: number;
}

/** One server subscription: its lifecycle, the handles sharing it, and the last offset seen. */
class RoomRecord {
  state: SubscriptionState = 'subscribing';
  error?: { code: StatewireError['code']; message: string };
  /**
   * Replaced, never mutated, when a handle comes or goes: a handler that closes its own handle
   * cannot disturb a delivery in progress, and delivering needs no copy per message.
   */
  handles: readonly RoomSubscription[] = [];
  epoch?: string;
  lastOffset = 0;
  /** Sequence of the current `sub` request: answers to older ones are ignored. */
  request = 0;

  constructor(
    readonly room: string,
    readonly lifecycle: SubscriptionLifecycle,
    private readonly rooms: Rooms,
    /** The client's own messages here, when it asked for no echo. */
    readonly own: OwnMessages | null,
  ) {}

  release(handle: RoomSubscription): void {
    this.rooms.release(this, handle);
  }

  /** Sends a lifecycle event to the machine and tells the handles about a new public state. */
  dispatch(event: SubscriptionEvent): void {
    if (this.state === 'failed' || this.state === 'unsubscribed') return;
    this.lifecycle.send(event);
    const change = mirrorState(this, this.lifecycle.getSnapshot(), subscriptionStateName);
    if (!change) return;
    for (const handle of this.handles) handle.stateChanged(change.from, change.to);
    if (change.to === 'failed' || change.to === 'unsubscribed') this.rooms.forget(this);
  }
}

export interface RoomsDeps {
  calls: Calls;
  /** Parent of the subscription actors (shared system: clock, inspection). */
  parent: AnyActorRef;
  /** An inspector watches: every subscription gets its actor from the start. */
  inspected: boolean;
  /** `echo: false`: the client's own messages are passed over (`OwnMessages`). */
  echo: boolean;
}

type Callbacks = Map<string, Set<MessageHandler>>;

function addCallback(map: Callbacks, key: string, handler: MessageHandler): () => void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(handler);
  return () => {
    set.delete(handler);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}

function callAll(set: Set<MessageHandler> | undefined, message: Message): void {
  if (!set) return;
  for (const handler of set) {
    try {
      handler(message);
    } catch (error) {
      reportHandlerError(error);
    }
  }
}

const EPOCH_CHANGED = { recovered: false, missed: 0 } as const;
const ONLINE: SubscriptionEvent = { type: 'ONLINE' };
const OFFLINE: SubscriptionEvent = { type: 'OFFLINE' };
const SUBSCRIBED: SubscriptionEvent = { type: 'SUBSCRIBED' };
const CLOSE: SubscriptionEvent = { type: 'CLOSE' };

/**
 * The data path of room messages: a map from room to its subscription record, the duplicate
 * filter (offset <= last seen in the same epoch is dropped) and the event/room callbacks.
 * Subscription actors only get lifecycle events from here.
 */
export class Rooms {
  readonly records = new Map<string, RoomRecord>();
  readonly #byEvent: Callbacks = new Map();
  readonly #byRoom: Callbacks = new Map();
  readonly #byRoomEvent: Callbacks = new Map();
  readonly #lifecycles: LifecycleHost;

  /** Each client's rooms, found by its actors' system: one `.provide()` serves every client. */
  static readonly #scope = new SystemScope<Rooms>('a subscription');
  static readonly #logic = subscriptionMachine.provide({
    actions: {
      requestSubscribe: ({ self, system }) => Rooms.#scope.of(system).#requestSubscribe(self.id),
      requestUnsubscribe: ({ self, system }) =>
        Rooms.#scope.of(system).#requestUnsubscribe(self.id),
    },
  });

  constructor(private readonly deps: RoomsDeps) {
    Rooms.#scope.set(deps.parent.system, this);
    const effects: Record<SubscriptionEffect, (room: string) => void> = {
      requestSubscribe: (room) => this.#requestSubscribe(room),
      requestUnsubscribe: (room) => this.#requestUnsubscribe(room),
    };
    this.#lifecycles = {
      logic: Rooms.#logic,
      parent: deps.parent,
      effects,
      eager: deps.inspected,
    };
  }

  subscribe(room: string, handler?: MessageHandler): Subscription {
    let record = this.records.get(room);
    if (!record) {
      const lifecycle = new SubscriptionLifecycle(room, this.#lifecycles);
      record = new RoomRecord(room, lifecycle, this, this.deps.echo ? null : new OwnMessages());
      this.records.set(room, record);
      if (this.deps.calls.phase === 'online') record.dispatch(ONLINE);
    }
    const handle = new RoomSubscription(room, record);
    record.handles = record.handles.length === 0 ? [handle] : [...record.handles, handle];
    if (handler) handle.on('message', handler);
    return handle;
  }

  onEvent(event: string, handler: MessageHandler): () => void {
    return addCallback(this.#byEvent, event, handler);
  }

  onRoom(room: string, handler: MessageHandler): () => void {
    return addCallback(this.#byRoom, room, handler);
  }

  onRoomEvent(room: string, event: string, handler: MessageHandler): () => void {
    return addCallback(this.#byRoomEvent, `${room}\u0000${event}`, handler);
  }

  /** Action of the subscription machine: `sub`, with `since` when resuming. */
  #requestSubscribe(room: string): void {
    const record = this.records.get(room);
    if (!record) return;
    const request = ++record.request;
    const since: StreamPosition | undefined =
      record.epoch === undefined ? undefined : { epoch: record.epoch, offset: record.lastOffset };
    this.deps.calls.control({ type: 'sub', room, since }, (error, data) => {
      if (record.request !== request || this.records.get(room) !== record) return;
      if (error) {
        record.dispatch({ type: 'REJECTED', code: error.code, message: error.message });
        return;
      }
      this.#subscribed(record, data as SubscribeAnswer, since !== undefined);
    });
  }

  /** Action of the subscription machine. */
  #requestUnsubscribe(room: string): void {
    this.deps.calls.control({ type: 'unsub', room }, () => undefined);
  }

  #subscribed(record: RoomRecord, answer: SubscribeAnswer, resumed: boolean): void {
    if (record.epoch !== answer.epoch) {
      record.epoch = answer.epoch;
      record.lastOffset = answer.offset;
    } else {
      record.lastOffset = Math.max(record.lastOffset, answer.offset);
    }
    record.own?.catchUp(record);
    record.dispatch(SUBSCRIBED);
    if (!resumed) return;
    const info = { recovered: answer.recovered === true, missed: answer.missed ?? 0 };
    for (const handle of record.handles) handle.emit('recovered', info);
  }

  deliver(frame: RoomMessage): void {
    this.#deliver(frame.room, frame.epoch, frame.event, frame.from, frame);
  }

  /** A `msgs` run: each entry is delivered as the `msg` it stands for. */
  deliverRun(run: RoomMessagesMsg): void {
    const { room, epoch, event, from } = run;
    for (const entry of run.msgs) this.#deliver(room, epoch, event, from, entry);
  }

  #deliver(
    room: string,
    epoch: string,
    event: string,
    from: string | undefined,
    entry: RoomMessageEntry,
  ): void {
    const record = this.records.get(room);
    if (record) {
      if (record.epoch === epoch && entry.offset <= record.lastOffset) return;
      // A new epoch while subscribed: what came before it is gone, and the app must know.
      if (record.epoch !== undefined && record.epoch !== epoch) {
        for (const handle of record.handles) handle.emit('recovered', EPOCH_CHANGED);
      }
      record.epoch = epoch;
      record.lastOffset = entry.offset;
      if (record.own !== null) {
        const own = record.own.passes(entry.id, entry.offset);
        record.own.catchUp(record);
        if (own) return;
      }
    }
    const message: Message = {
      room,
      event,
      content: entry.content,
      offset: entry.offset,
      id: entry.id,
    };
    if (from !== undefined) message.from = from;
    if (record) {
      for (const handle of record.handles) handle.emit('message', message);
    }
    if (this.#byRoom.size > 0) callAll(this.#byRoom.get(room), message);
    if (this.#byEvent.size > 0) callAll(this.#byEvent.get(event), message);
    if (this.#byRoomEvent.size > 0)
      callAll(this.#byRoomEvent.get(`${room}\u0000${event}`), message);
  }

  /** A publish into `room` leaves with this `mid` (echo off: its copy is passed over). */
  publishing(room: string, mid: string): void {
    this.records.get(room)?.own?.sent(mid);
  }

  /** A `pub` was answered: stored `at` a position, or refused (undefined). */
  published(room: string, mid: string, at: StreamPosition | undefined): void {
    const record = this.records.get(room);
    if (!record?.own) return;
    if (at === undefined) record.own.refused(mid);
    else record.own.acked(mid, at, record);
  }

  presence(frame: JoinMsg | LeaveMsg): void {
    const record = this.records.get(frame.room);
    if (!record) return;
    const event = { room: frame.room, uid: frame.uid, action: frame.type };
    for (const handle of record.handles) handle.emit('presence', event);
  }

  goOnline(): void {
    for (const record of [...this.records.values()]) record.dispatch(ONLINE);
  }

  goOffline(): void {
    for (const record of this.records.values()) record.dispatch(OFFLINE);
  }

  /** The client stopped: every subscription ends, failed when the client failed. */
  stop(failure?: { code: StatewireError['code']; message: string }): void {
    const event: SubscriptionEvent = failure ? { type: 'FAIL', ...failure } : CLOSE;
    for (const record of [...this.records.values()]) record.dispatch(event);
    this.records.clear();
  }

  release(record: RoomRecord, handle: RoomSubscription): void {
    record.handles = record.handles.filter((h) => h !== handle);
    if (record.handles.length === 0) record.dispatch(CLOSE);
  }

  forget(record: RoomRecord): void {
    if (this.records.get(record.room) === record) this.records.delete(record.room);
  }
}
