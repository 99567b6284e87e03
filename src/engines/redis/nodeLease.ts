import { type EngineClock, every } from '../engineClock.js';
import type { Keys } from './keys.js';
import type { RedisLink } from './link.js';

/**
 * This node's lease in Redis (refreshed every leaseMs / 5) and the reaper every node runs: a
 * node whose lease has expired is dead, and exactly one reaper (a NX claim) cleans up after it.
 * Leases use Redis time, so a live node is never reaped while its beats get through.
 */
export class NodeLease {
  private stopBeat: (() => void) | null = null;
  private stopSweep: (() => void) | null = null;
  private reaping: Promise<void> | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: Keys,
    private readonly nodeId: string,
    private readonly leaseMs: number,
    private readonly reapNode: (nodeId: string) => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly clock: EngineClock,
    /** Stamps the beats in the node index; the reaper reads candidates off it. */
    private readonly now: () => number,
  ) {}

  async start(): Promise<void> {
    await this.renew();
    this.stopBeat = every(this.clock, this.leaseMs / 5, () => void this.renew().catch(() => {}));
    this.stopSweep = every(this.clock, Math.min(1000, this.leaseMs / 2), () => this.reapDead());
  }

  /** Stops beating and gives the lease up: a node that leaves cleanly is not reaped. */
  async stop(): Promise<void> {
    this.stopBeat?.();
    this.stopSweep?.();
    this.stopBeat = this.stopSweep = null;
    await this.reaping;
    const node = this.keys.node(this.nodeId);
    await this.link
      .call((redis) =>
        redis
          .multi()
          .del(node.lease, node.presence, node.queues)
          .zrem(this.keys.nodes, this.nodeId)
          .exec(),
      )
      .catch(() => {});
  }

  private renew(): Promise<unknown> {
    return this.link.script(
      'swBeat',
      [this.keys.node(this.nodeId).lease, this.keys.nodes],
      [this.nodeId, this.leaseMs, this.now()],
    );
  }

  private reapDead(): void {
    if (this.reaping) return;
    this.reaping = this.reapOnce()
      .catch((error) => this.onError(error))
      .finally(() => {
        this.reaping = null;
      });
  }

  private async reapOnce(): Promise<void> {
    const cutoff = this.now() - this.leaseMs;
    const stale = await this.link.call((redis) =>
      redis.zrangebyscore(this.keys.nodes, '-inf', cutoff),
    );
    for (const id of stale) {
      if (id === this.nodeId) continue;
      const node = this.keys.node(id);
      if ((await this.link.call((redis) => redis.exists(node.lease))) === 1) continue;
      const claimed = await this.link.call((redis) =>
        redis.set(node.reap, this.nodeId, 'PX', 60_000, 'NX'),
      );
      if (claimed !== 'OK') continue;
      await this.reapNode(id);
      await this.link.call((redis) =>
        redis.multi().del(node.presence, node.queues).zrem(this.keys.nodes, id).exec(),
      );
    }
  }
}
