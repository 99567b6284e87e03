import type { StreamPosition } from '../../protocol/frames.js';
import type {
  HistoryQuery,
  PresenceChange,
  RoomListener,
  StoredMessage,
  StoredPage,
} from '../Engine.js';
import type { EngineClock } from '../engineClock.js';
import { type DecodedEntry, decodeLive, liveHeader } from './roomStore.js';

type Item = DecodedEntry | { presence: PresenceChange };

/** Delay before a failed catch-up read (Redis away) is tried again. */
const RETRY_MS = 250;

/**
 * One listened room on this node. Pub/Sub may drop messages (a `sub` reconnect), so the feed
 * hands listeners every offset once and in order: it remembers the last one handed over, drops
 * older ones, and on a jump holds what follows while it fills the gap from history. A gap
 * history cannot fill, or a new epoch, is reported with `lost()`.
 */
export class RoomFeed {
  readonly listeners = new Set<RoomListener>();
  private last: StreamPosition = { epoch: '', offset: 0 };
  private readonly queue: Item[] = [];
  /** Reading history: live items wait in `queue`. */
  private busy = true;
  private closed = false;
  private retry: unknown = null;

  constructor(
    readonly room: string,
    private readonly read: (room: string, query: HistoryQuery) => Promise<StoredPage>,
    private readonly clock: EngineClock,
  ) {}

  /** Starts from the room's current position; call once the channel is subscribed. */
  async seed(): Promise<void> {
    const page = await this.read(this.room, { limit: 0 });
    this.last = { epoch: page.epoch, offset: page.offset };
    this.busy = false;
    this.drain();
  }

  /** A raw channel message: `m…` lines of messages, `j<uid>` / `l<uid>` presence. */
  receive(raw: string): void {
    const kind = raw[0];
    if (kind === 'm') {
      const header = liveHeader(raw);
      // This node's own publishes were mostly handed over already (see `stored`).
      if (header.epoch === this.last.epoch && header.last <= this.last.offset) return;
      for (const entry of decodeLive(this.room, raw, header)) this.queue.push(entry);
    } else if (kind === 'j' || kind === 'l') {
      const action = kind === 'j' ? 'join' : 'leave';
      this.queue.push({ presence: { room: this.room, action, uid: raw.slice(1) } });
    }
    this.drain();
  }

  /**
   * Messages this node just stored: handed over at once when they follow what was handed,
   * so the publisher's ack and their delivery leave together; otherwise the channel brings them.
   */
  stored(entries: DecodedEntry[]): void {
    const { message } = entries[0];
    if (this.busy || this.queue.length > 0) return;
    if (message.epoch !== this.last.epoch || message.offset !== this.last.offset + 1) return;
    for (const entry of entries) this.hand(entry.message, entry.contentJson);
  }

  /** After the channel may have missed messages (a `sub` reconnect): reads what it missed. */
  resync(): void {
    if (this.busy || this.closed) return;
    this.busy = true;
    void this.catchUp();
  }

  close(): void {
    this.closed = true;
    if (this.retry !== null) this.clock.clearTimeout(this.retry);
  }

  private drain(): void {
    while (!this.busy && this.queue.length > 0) {
      const item = this.queue.shift()!;
      if ('presence' in item) {
        this.each((l) => l.presence(item.presence));
        continue;
      }
      const { message } = item;
      if (message.epoch === this.last.epoch && message.offset <= this.last.offset) continue;
      if (message.epoch === this.last.epoch && message.offset === this.last.offset + 1) {
        this.hand(message, item.contentJson);
        continue;
      }
      this.queue.unshift(item);
      this.busy = true;
      void this.catchUp();
    }
  }

  private async catchUp(): Promise<void> {
    if (this.retry !== null) this.clock.clearTimeout(this.retry);
    this.retry = null;
    if (this.closed) return;
    let page: StoredPage;
    try {
      page = await this.read(this.room, { since: this.last });
    } catch {
      this.retry = this.clock.setTimeout(() => void this.catchUp(), RETRY_MS);
      return;
    }
    // Live copies from another epoch than the one just read predate it.
    const current = this.queue.filter((i) => !('message' in i) || i.message.epoch === page.epoch);
    this.queue.splice(0, this.queue.length, ...current);
    if (page.complete) {
      for (const message of page.messages) this.hand(message);
    } else {
      this.last = { epoch: page.epoch, offset: page.offset };
      const position = { ...this.last };
      this.each((l) => l.lost?.(this.room, position));
    }
    this.busy = false;
    this.drain();
  }

  private hand(message: StoredMessage, contentJson?: string): void {
    this.last = { epoch: message.epoch, offset: message.offset };
    this.each((l) => l.message(message, contentJson));
  }

  // A listener that throws must not keep the message from the others.
  private each(deliver: (listener: RoomListener) => void): void {
    for (const listener of this.listeners) {
      try {
        deliver(listener);
      } catch {}
    }
  }
}
