import type { PresenceChange } from '../Engine.js';

/**
 * A uid's members in a room: one member id as is (the usual case, and a Set costs ~200 bytes
 * per idle connection), a Set from the second on.
 */
type Members = string | Set<string>;

/** Who is in which room: a uid is present while any of its members (connections) is. */
export class PresenceBook {
  private readonly rooms = new Map<string, Map<string, Members>>();

  /** Returns the change to announce: only the first member of a uid joins. */
  join(room: string, uid: string, memberId: string): PresenceChange | null {
    let uids = this.rooms.get(room);
    if (!uids) {
      uids = new Map();
      this.rooms.set(room, uids);
    }
    const members = uids.get(uid);
    if (members === undefined) {
      uids.set(uid, memberId);
      return { room, action: 'join', uid };
    }
    if (typeof members !== 'string') members.add(memberId);
    else if (members !== memberId) uids.set(uid, new Set([members, memberId]));
    return null;
  }

  /** Returns the change to announce: only the last member of a uid leaves. */
  leave(room: string, uid: string, memberId: string): PresenceChange | null {
    const uids = this.rooms.get(room);
    const members = uids?.get(uid);
    if (!uids || members === undefined) return null;
    if (typeof members !== 'string') {
      if (!members.delete(memberId) || members.size > 0) return null;
    } else if (members !== memberId) {
      return null;
    }
    uids.delete(uid);
    if (uids.size === 0) this.rooms.delete(room);
    return { room, action: 'leave', uid };
  }

  has(room: string, uid: string): boolean {
    return this.rooms.get(room)?.has(uid) ?? false;
  }

  members(room: string): string[] {
    return [...(this.rooms.get(room)?.keys() ?? [])];
  }
}
