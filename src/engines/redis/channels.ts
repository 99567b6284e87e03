import type { Redis } from 'ioredis';
import { guard } from './link.js';

type Handler = (message: string) => void;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** SUBSCRIBE takes at most this many channels per call. */
const BATCH = 512;

/**
 * The node's Pub/Sub channels: one SUBSCRIBE per channel in use (never a pattern, so a node
 * receives only rooms it serves). Changes made in one tick go to Redis as one batch, and what
 * Redis is told always converges on what is wanted, whatever order add/remove come in.
 */
export class Channels {
  private readonly handlers = new Map<string, Handler>();
  /** Channels Redis has confirmed (or is being told) to deliver. */
  private readonly active = new Set<string>();
  private readonly touched = new Map<string, Waiter[]>();
  private flushing: Promise<void> | null = null;
  private scheduled = false;

  constructor(private readonly sub: Redis) {
    sub.on('message', (channel: string, message: string) => {
      this.handlers.get(channel)?.(message);
    });
  }

  /** Resolves once Redis delivers `channel` to `handler`. */
  add(channel: string, handler: Handler): Promise<void> {
    this.handlers.set(channel, handler);
    return this.touch(channel);
  }

  remove(channel: string): Promise<void> {
    this.handlers.delete(channel);
    return this.touch(channel).catch(() => {});
  }

  has(channel: string): boolean {
    return this.handlers.has(channel);
  }

  private touch(channel: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = this.touched.get(channel) ?? [];
      waiters.push({ resolve, reject });
      this.touched.set(channel, waiters);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const previous = this.flushing ?? Promise.resolve();
      this.flushing = previous.then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = new Map(this.touched);
    this.touched.clear();
    const subscribe: string[] = [];
    const unsubscribe: string[] = [];
    for (const channel of batch.keys()) {
      const wanted = this.handlers.has(channel);
      if (wanted && !this.active.has(channel)) subscribe.push(channel);
      if (!wanted && this.active.has(channel)) unsubscribe.push(channel);
    }
    const failed = new Map<string, unknown>();
    for (let i = 0; i < subscribe.length; i += BATCH) {
      const part = subscribe.slice(i, i + BATCH);
      try {
        await guard(this.sub.subscribe(...part));
        for (const channel of part) this.active.add(channel);
      } catch (error) {
        for (const channel of part) failed.set(channel, error);
      }
    }
    for (let i = 0; i < unsubscribe.length; i += BATCH) {
      const part = unsubscribe.slice(i, i + BATCH);
      for (const channel of part) this.active.delete(channel);
      await guard(this.sub.unsubscribe(...part)).catch(() => {});
    }
    for (const [channel, waiters] of batch) {
      const error = failed.get(channel);
      for (const waiter of waiters) {
        if (error === undefined) waiter.resolve();
        else waiter.reject(error);
      }
    }
  }
}
