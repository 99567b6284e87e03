import { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import { deletePrefix } from '../../../bench/lib/redisKeys.js';
import type { Engine, PresenceChange, StoredMessage } from '../../../src/engines/Engine.js';
import { memoryEngine } from '../../../src/engines/memory/index.js';
import type { EngineDelivery, QueueLimits } from '../../../src/engines/QueueEngine.js';
import { redisEngine } from '../../../src/engines/redis/index.js';

export const REDIS_URL = process.env.STATEWIRE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface EngineOptions {
  history?: { size?: number; maxBytes?: number; ttlMs?: number; maxTotalBytes?: number };
  dedupeWindow?: number;
  uidClaims?: { ttlMs?: number; max?: number };
  queues?: QueueLimits;
  now?: () => number;
}

export interface EngineFixture {
  name: string;
  /**
   * A started engine. `shared` names a group: engines made with the same name share state
   * (nodes on one Redis); memory cannot, so multi-node cases skip it.
   */
  make(options?: EngineOptions, shared?: string): Promise<Engine>;
  /** Whether several instances can act as one broker. */
  readonly sharesState: boolean;
  /** Stops everything this fixture made; call in afterEach. */
  cleanup(): Promise<void>;
  /** The key prefix of a group's engines (Redis only): for cases that touch keys directly. */
  prefixOf?(shared: string): string | undefined;
}

export function memoryFixture(): EngineFixture {
  const made: Engine[] = [];
  return {
    name: 'memoryEngine',
    sharesState: false,
    async make(options = {}) {
      const engine = memoryEngine(options);
      await engine.start();
      made.push(engine);
      return engine;
    },
    async cleanup() {
      await Promise.all(made.splice(0).map((e) => e.close()));
    },
  };
}

/** Each test gets its own random key prefix on the shared Redis; its keys are deleted after. */
export function redisFixture(): EngineFixture {
  const made: Engine[] = [];
  const prefixes = new Map<string, string>();
  let solo = 0;
  return {
    name: 'redisEngine',
    sharesState: true,
    async make(options = {}, shared) {
      const group = shared ?? `solo${solo++}`;
      let prefix = prefixes.get(group);
      if (!prefix) {
        prefix = `swtest:${nanoid(8)}`;
        prefixes.set(group, prefix);
      }
      const engine = redisEngine({ url: REDIS_URL, prefix, leaseMs: 1000, ...options });
      await engine.start();
      made.push(engine);
      return engine;
    },
    prefixOf: (shared) => prefixes.get(shared),
    async cleanup() {
      await Promise.all(made.splice(0).map((e) => e.close()));
      await deleteKeys([...prefixes.values()]);
      prefixes.clear();
    },
  };
}

export async function deleteKeys(prefixes: string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const redis = new Redis(REDIS_URL);
  try {
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Guard so a missing delivery fails the test with a message instead of hanging. */
const WAIT_LIMIT_MS = 5000;

/** Collects values and lets a test await the n-th one (fan-out may be asynchronous). */
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  push = (item: T): void => {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (this.items.length < w.count) return true;
      w.resolve();
      return false;
    });
  };

  /** Resolves once `count` items have arrived. */
  async until(count: number, what = 'items'): Promise<T[]> {
    if (this.items.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`waited for ${count} ${what}, got ${this.items.length}`)),
          WAIT_LIMIT_MS,
        );
        this.waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.items;
  }
}

export function recorder() {
  const messages = new Inbox<StoredMessage>();
  const presence = new Inbox<PresenceChange>();
  return {
    messages,
    presence,
    listener: { message: messages.push, presence: presence.push },
  };
}

export function collector() {
  const inbox = new Inbox<EngineDelivery>();
  return { inbox, deliveries: inbox.items, deliver: inbox.push };
}

export const pub = (room: string, id: string, content: unknown = id) => ({
  room,
  event: 'e',
  content: content as string,
  id,
});

export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

/** Polls `check` on the event loop (each try after a Redis round trip) until it holds. */
export async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
