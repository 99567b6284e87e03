import type { StoredMessage } from '../engines/Engine.js';
import type { StreamPosition } from '../protocol/frames.js';
import type { EncodedMessage } from './wire.js';

/**
 * Own ids a membership keeps at most: past it the oldest goes (its copy is then sent, and the
 * client passes it over by its mid). Only a connection that repeats a `mid` while its first copy
 * is on its way leaves an id that no copy will take.
 */
const MAX_OWN_IDS = 1024;

/** Where a membership sends its frames (the connection's outbox). */
export interface FrameSink {
  enqueue(frame: string): void;
  /** A room message, in the form this client reads (`msgs` runs or `msg` items). */
  enqueueMessage(message: EncodedMessage): void;
  close(code: number, reason: string): void;
}

/**
 * One connection in one room. It remembers the last offset it passed on, so a message that
 * reaches it twice (replay, then the live copy) is sent once, and while the connection is
 * catching up (`hold`) live messages wait instead of overtaking the replay.
 */
export class Membership {
  private epoch: string | null = null;
  private lastOffset = 0;
  private held: Array<[StoredMessage, EncodedMessage]> | null = null;
  /** The room's history was lost: nothing more may reach the client before it resubscribes. */
  private lost = false;
  /**
   * Ids of what this connection is publishing here while it asked for no echo (`hello.echo:
   * false`), oldest first: the first copy of each, from the fan-out or a replay, is passed over,
   * not sent. Copies come in the order of the ids: a connection's publishes are stored in the
   * order they arrive, and a room's messages reach a member in offset order.
   */
  private own: string[] | null = null;

  constructor(
    readonly sink: FrameSink,
    readonly room: string,
  ) {}

  deliver(message: StoredMessage, frame: EncodedMessage): void {
    if (this.lost) return;
    if (this.held) {
      this.held.push([message, frame]);
      return;
    }
    const own = this.passOwn(message);
    if (message.epoch === this.epoch && message.offset <= this.lastOffset) return;
    this.epoch = message.epoch;
    this.lastOffset = message.offset;
    if (!own) this.sink.enqueueMessage(frame);
  }

  /** This connection publishes `id` into the room, with echo off: its copy is not sent back. */
  expectOwn(id: string): void {
    this.own ??= [];
    // A resend of a mid still pending has one copy at most: a second entry would stay in front.
    if (this.own.includes(id)) return;
    if (this.own.length >= MAX_OWN_IDS) this.own.shift();
    this.own.push(id);
  }

  /** True, once, for the copy of a message `expectOwn` announced. */
  passOwn(message: StoredMessage): boolean {
    const own = this.own;
    if (own === null || own.length === 0 || own[0] !== message.id) return false;
    own.shift();
    return true;
  }

  /**
   * The publish of `id` was answered (`stored`: null when it failed). Its id is forgotten when
   * no copy can come any more: a failure, or a repeated `mid` answered with an older message.
   */
  settleOwn(id: string, stored: StoredMessage | null): void {
    const own = this.own;
    if (own === null) return;
    if (stored === null || (stored.epoch === this.epoch && stored.offset <= this.lastOffset)) {
      const index = own.indexOf(id);
      if (index >= 0) own.splice(index, 1);
    }
  }

  /**
   * Stops delivery for good: a message after lost positions would let the client resume past
   * the gap as if nothing was missing. The connection is closed, so it resubscribes.
   */
  invalidate(): void {
    this.lost = true;
    this.held = null;
  }

  hold(): void {
    this.held ??= [];
  }

  /** Resumes live delivery after `position` (null: everything that was held). */
  release(position: StreamPosition | null): void {
    if (position) {
      this.epoch = position.epoch;
      this.lastOffset = position.offset;
    }
    const held = this.held ?? [];
    this.held = null;
    for (const [message, frame] of held) this.deliver(message, frame);
  }
}
