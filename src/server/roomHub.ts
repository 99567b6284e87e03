import type {
  Engine,
  PresenceChange,
  RoomListener,
  StoredMessage,
  Unsubscribe,
} from '../engines/Engine.js';
import { CLOSE } from '../protocol/closeCodes.js';
import type { Membership } from './membership.js';
import { EncodedMessage } from './wire.js';

/** This node's members of one room, fed by one engine listener. */
class LocalRoom implements RoomListener {
  readonly members = new Set<Membership>();
  readonly ready: Promise<void>;
  private unsubscribe: Unsubscribe | null = null;

  constructor(
    engine: Engine,
    private readonly room: string,
    private readonly onError: (error: unknown, where: string) => void,
  ) {
    this.ready = engine.listen(room, this).then((off) => {
      this.unsubscribe = off;
    });
  }

  message(message: StoredMessage, contentJson?: string): void {
    if (this.members.size === 0) return;
    let frame: EncodedMessage;
    try {
      frame = new EncodedMessage(message, contentJson);
    } catch (error) {
      // Only content that bypassed the door's checks gets here; it is dropped, loudly.
      this.onError(error, `room fan-out ${this.room}: message ${message.offset} dropped`);
      return;
    }
    for (const member of this.members) member.deliver(message, frame);
  }

  presence(change: PresenceChange): void {
    // A uid room only ever holds its own uid: nobody needs to hear about it.
    if (change.room === change.uid || this.members.size === 0) return;
    const frame = JSON.stringify({ type: change.action, room: change.room, uid: change.uid });
    for (const member of this.members) member.sink.enqueue(frame);
  }

  /** The engine lost this room's positions: its members reconnect and learn `recovered: false`. */
  lost(): void {
    for (const member of this.members) {
      member.invalidate();
      member.sink.close(CLOSE.TRY_AGAIN_LATER, 'HISTORY_LOST');
    }
  }

  async drop(): Promise<void> {
    await this.ready.catch(() => {});
    const off = this.unsubscribe;
    this.unsubscribe = null;
    await off?.();
  }
}

/** Local fan-out: room → members on this node, one engine listener per room in use. */
export class RoomHub {
  private readonly rooms = new Map<string, LocalRoom>();

  constructor(
    private readonly engine: Engine,
    private readonly onError: (error: unknown, where: string) => void,
  ) {}

  /** Rooms with at least one member on this node. */
  get size(): number {
    return this.rooms.size;
  }

  /** Resolves once the engine delivers the room to this node. */
  add(member: Membership): Promise<void> {
    let local = this.rooms.get(member.room);
    if (!local) {
      const created = new LocalRoom(this.engine, member.room, this.onError);
      created.ready.catch(() => {
        if (this.rooms.get(member.room) === created) this.rooms.delete(member.room);
      });
      this.rooms.set(member.room, created);
      local = created;
    }
    local.members.add(member);
    return local.ready;
  }

  remove(member: Membership): void {
    const local = this.rooms.get(member.room);
    if (!local?.members.delete(member) || local.members.size > 0) return;
    this.rooms.delete(member.room);
    local.drop().catch((error) => this.onError(error, `engine unlisten ${member.room}`));
  }

  async closeAll(): Promise<void> {
    const rooms = [...this.rooms.values()];
    this.rooms.clear();
    await Promise.all(rooms.map((r) => r.drop().catch(() => {})));
  }
}
