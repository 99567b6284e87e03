import type { StoredMessage } from '../engines/Engine.js';
import type { StreamPosition } from '../protocol/frames.js';
import type { EncodedMessage } from './wire.js';

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
    if (message.epoch === this.epoch && message.offset <= this.lastOffset) return;
    this.epoch = message.epoch;
    this.lastOffset = message.offset;
    this.sink.enqueueMessage(frame);
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
