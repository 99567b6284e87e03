import type { StreamPosition } from '../protocol/frames.js';

/** Where a subscription stands in its room: the last offset it has passed, in its epoch. */
export interface RoomPosition {
  epoch?: string;
  lastOffset: number;
}

/**
 * Own mids kept at most: past it the oldest goes. Only publishes that timed out stay without an
 * answer (they may have been stored); their copy, should a replay bring one, is then delivered.
 */
const MAX_SENT = 1024;

/**
 * One room's own messages of a client with `echo: false`: the app never sees them, and the
 * room's position still moves past them, without skipping another publisher's message.
 *
 * A delivered message moves the position to its offset (the server sends a room's messages in
 * order), but an own ack only moves it when it is the very next offset: one further ahead waits
 * here until the position reaches it. The Redis engine can answer a publish before an earlier
 * message of another node arrives; moving to the ack at once would drop that message as a
 * duplicate. After a reconnect the replay from the position may hold own messages (acked
 * ahead, or unacked and resent with the same mid): they are known by mid and passed over.
 */
export class OwnMessages {
  /**
   * Sent and not placed yet, oldest first: unacked, or timed out (it may have been stored all
   * the same). A list, not a set: acks and copies come in publish order, so the first entry is
   * almost always the one asked for, and nothing is hashed per publish.
   */
  readonly #sent: string[] = [];
  /** Acked beyond the position, in `#epoch`: offset → mid. */
  readonly #ahead = new Map<number, string>();
  #epoch: string | undefined;

  sent(mid: string): void {
    if (this.#sent.length >= MAX_SENT) this.#sent.shift();
    this.#sent.push(mid);
  }

  /** The server refused the publish: nothing was stored. */
  refused(mid: string): void {
    this.#unsent(mid);
  }

  acked(mid: string, at: StreamPosition, position: RoomPosition): void {
    this.#unsent(mid);
    if (position.epoch === at.epoch) {
      if (at.offset <= position.lastOffset) return;
      if (at.offset === position.lastOffset + 1 && this.#ahead.size === 0) {
        position.lastOffset = at.offset;
        return;
      }
    }
    if (this.#epoch !== at.epoch) {
      this.#ahead.clear();
      this.#epoch = at.epoch;
    }
    this.#ahead.set(at.offset, mid);
    this.catchUp(position);
  }

  /** True, once, for the copy of an own message (a replay, or a server that echoes anyway). */
  passes(id: string, offset: number): boolean {
    if (this.#sent.length > 0 && this.#unsent(id)) return true;
    if (this.#ahead.size === 0 || this.#ahead.get(offset) !== id) return false;
    this.#ahead.delete(offset);
    return true;
  }

  /** Moves `position` over the own offsets that follow it, and forgets the ones behind it. */
  catchUp(position: RoomPosition): void {
    if (this.#ahead.size === 0 || position.epoch !== this.#epoch) return;
    for (const offset of this.#ahead.keys()) {
      if (offset <= position.lastOffset) this.#ahead.delete(offset);
    }
    while (this.#ahead.delete(position.lastOffset + 1)) position.lastOffset++;
  }

  #unsent(mid: string): boolean {
    const sent = this.#sent;
    if (sent[0] === mid) {
      sent.shift();
      return true;
    }
    const index = sent.indexOf(mid);
    if (index < 0) return false;
    sent.splice(index, 1);
    return true;
  }
}
