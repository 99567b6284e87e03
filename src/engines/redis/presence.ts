import type { Keys } from './keys.js';
import type { RedisLink } from './link.js';

/**
 * Shared presence: per room, member → uid and uid → member count; a uid is announced on the
 * room channel (in order with its messages) when its first member joins and its last leaves.
 * Each node indexes the members it added, so a reaper can make a killed node's members leave.
 */
export class Presence {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: Keys,
    private readonly nodeId: string,
  ) {}

  join(room: string, uid: string, memberId: string): Promise<void> {
    return this.change('swJoin', this.nodeId, room, uid, memberId);
  }

  leave(room: string, uid: string, memberId: string): Promise<void> {
    return this.change('swLeave', this.nodeId, room, uid, memberId);
  }

  members(room: string): Promise<string[]> {
    const { uids } = this.keys.room(room);
    return this.link.call((redis) => redis.hkeys(uids));
  }

  /** Every member a (dead) node added leaves, with leave events where a uid goes. */
  async reap(nodeId: string): Promise<void> {
    const index = this.keys.node(nodeId).presence;
    const entries = await this.link.call((redis) => redis.smembers(index));
    await Promise.all(
      entries.map((entry) => {
        const [room, uid, memberId] = JSON.parse(entry) as [string, string, string];
        return this.change('swLeave', nodeId, room, uid, memberId);
      }),
    );
  }

  private async change(
    script: 'swJoin' | 'swLeave',
    nodeId: string,
    room: string,
    uid: string,
    memberId: string,
  ): Promise<void> {
    const k = this.keys.room(room);
    const entry = JSON.stringify([room, uid, memberId]);
    await this.link.script(
      script,
      [k.members, k.uids, this.keys.node(nodeId).presence],
      [memberId, uid, k.channel, entry],
    );
  }
}
