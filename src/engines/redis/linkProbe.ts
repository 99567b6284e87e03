import { type EngineClock, every } from '../engineClock.js';
import type { Channels } from './channels.js';
import type { RedisLink } from './link.js';

/**
 * Notices connections that look open but carry nothing (a half-open TCP path, a failover that
 * left the subscriber on a detached server): every tick `cmd` publishes to a channel only
 * this node's `sub` listens to. A probe not echoed by the next tick reconnects `sub` (which
 * resubscribes, and the room feeds catch up); a probe that times out reconnects `cmd`.
 */
export class LinkProbe {
  private stopTicks: (() => void) | null = null;
  private echoed = true;

  constructor(
    private readonly link: RedisLink,
    private readonly channels: Channels,
    private readonly channel: string,
    private readonly intervalMs: number,
    private readonly clock: EngineClock,
  ) {}

  async start(): Promise<void> {
    await this.channels.add(this.channel, () => {
      this.echoed = true;
    });
    this.stopTicks = every(this.clock, this.intervalMs, () => this.tick());
  }

  stop(): void {
    this.stopTicks?.();
    this.stopTicks = null;
    void this.channels.remove(this.channel);
  }

  private tick(): void {
    const { cmd, sub } = this.link;
    if (!this.echoed && sub.status === 'ready') sub.disconnect(true);
    if (cmd.status !== 'ready' || sub.status !== 'ready') {
      this.echoed = true;
      return;
    }
    this.echoed = false;
    this.link
      .call((redis) => redis.publish(this.channel, '1'))
      .catch(() => {
        // Answered neither way within the command timeout: the connection is dead.
        this.echoed = true;
        if (cmd.status === 'ready') cmd.disconnect(true);
      });
  }
}
