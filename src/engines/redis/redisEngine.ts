import { nanoid } from 'nanoid';
import { StatewireError } from '../../errors/StatewireError.js';
import type { StreamPosition } from '../../protocol/frames.js';
import type {
  Engine,
  HistoryQuery,
  PublishInput,
  RoomListener,
  StoredMessage,
  StoredPage,
  Unsubscribe,
} from '../Engine.js';
import { type EngineClock, every, realEngineClock } from '../engineClock.js';
import { Channels } from './channels.js';
import { Keys } from './keys.js';
import { RedisLink } from './link.js';
import { LinkProbe } from './linkProbe.js';
import { NodeLease } from './nodeLease.js';
import { Presence } from './presence.js';
import { RedisQueues, type RedisQueuesOptions } from './redisQueues.js';
import { RoomFeed } from './roomFeed.js';
import { RoomStore } from './roomStore.js';

export interface RedisEngineOptions {
  /** `redis://host:port/db` of the Redis every node shares. */
  url: string;
  /** Prefix of every key and channel: nodes with the same url and prefix are one broker. */
  prefix?: string;
  /** A node that stops beating for this long is dead: its presence and deliveries go (10 s). */
  leaseMs?: number;
  /**
   * History bounds: per room `size` messages (default 1000), `maxBytes` (default 1 MiB: the
   * messages' JSON plus 96 bytes each) and `ttlMs` age (default none); `maxTotalBytes` for all
   * rooms of the prefix together, the oldest message of any room first (default 64 MiB, 0
   * for none). Give every node the same bounds. Redis itself still needs a `maxmemory` (and
   * `maxmemory-policy noeviction`).
   */
  history?: { size?: number; maxBytes?: number; ttlMs?: number; maxTotalBytes?: number };
  /** How many recent message ids per room are remembered to drop repeated publishes (10,000). */
  dedupeWindow?: number;
  /** Work queue bounds: maxLength, prefetch, ackTimeoutMs, maxAttempts. */
  queues?: RedisQueuesOptions;
  /**
   * How long a uid's personal room stays its own after its last session (`ttlMs`, default
   * 24 h), and how many such claims are kept at most (`max`, default 100,000).
   */
  uidClaims?: { ttlMs?: number; max?: number };
  /** Time source for message timestamps, history ttl and queue timeouts (default Date.now). */
  now?: () => number;
  /** How often the node checks that its Redis connections still carry traffic (5 s). */
  probeMs?: number;
  /** The timers of the lease, the reaper, the probe, the sweeps and feed retries (real timers). */
  clock?: EngineClock;
  /** Background failures (reaper, sweeps) other than Redis being away (default console.error). */
  onError?: (error: unknown, where: string) => void;
}

export interface RedisEngine extends Engine {
  /** This engine's id among the nodes: its lease, presence index and consumer names. */
  readonly nodeId: string;
  readonly queues: RedisQueues;
}

const DEFAULT_LEASE_MS = 10_000;
const META_TTL_MS = 30 * 24 * 3600 * 1000;
const DEFAULT_HISTORY_TOTAL_BYTES = 64 * 1024 * 1024;

/**
 * All broker state in one Redis, shared by every server process with the same url and prefix:
 * history in a hash per room (offset → message), fan-out by one Pub/Sub channel per room,
 * presence with node leases, queues on consumer groups. Unlike the memory engine, fan-out is
 * asynchronous.
 */
export function redisEngine(options: RedisEngineOptions): RedisEngine {
  if (typeof options?.url !== 'string') throw new TypeError('redisEngine needs a url');
  const keys = new Keys(options.prefix ?? 'sw');
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const now = options.now ?? Date.now;
  const clock = options.clock ?? realEngineClock;
  const report =
    options.onError ?? ((error, where) => console.error(`[statewire] ${where}:`, error));
  const onError = (where: string) => (error: unknown) => {
    if (!(error instanceof StatewireError && error.code === 'UNAVAILABLE')) report(error, where);
  };
  const claimTtlMs = options.uidClaims?.ttlMs ?? 24 * 3600 * 1000;
  const maxClaims = options.uidClaims?.max ?? 100_000;
  const nodeId = nanoid(10);
  const link = new RedisLink(options.url);
  const channels = new Channels(link.sub);
  const store = new RoomStore(
    link,
    keys,
    {
      size: options.history?.size ?? 1000,
      maxBytes: options.history?.maxBytes ?? 1024 * 1024,
      maxTotalBytes: options.history?.maxTotalBytes ?? DEFAULT_HISTORY_TOTAL_BYTES,
      ttlMs: options.history?.ttlMs ?? 0,
      dedupeWindow: options.dedupeWindow ?? 10_000,
      metaTtlMs: META_TTL_MS,
    },
    now,
    (room, entries) => {
      try {
        feeds.get(room)?.stored(entries);
      } catch (error) {
        onError(`room feed ${room}`)(error);
      }
    },
  );
  const presence = new Presence(link, keys, nodeId);
  const queues = new RedisQueues(link, keys, channels, nodeId, now, options.queues);
  const lease = new NodeLease(
    link,
    keys,
    nodeId,
    leaseMs,
    async (dead) => {
      await presence.reap(dead);
      await queues.reap(dead);
    },
    onError('reaper'),
    clock,
    now,
  );
  const probe = new LinkProbe(
    link,
    channels,
    keys.node(nodeId).probe,
    options.probeMs ?? 5000,
    clock,
  );
  const feeds = new Map<string, RoomFeed>();
  /** Per feed: settles once its channel is subscribed and it knows the room's position. */
  const feedReady = new WeakMap<RoomFeed, Promise<void>>();
  let stopSweep: (() => void) | null = null;
  let started: Promise<void> | null = null;

  link.sub.on('ready', () => {
    if (feeds.size === 0) return;
    // The resubscribe goes first on this connection: once a ping is answered, it is in place.
    link.sub.ping().then(
      () => {
        for (const feed of feeds.values()) feed.resync();
      },
      () => {},
    );
  });
  link.cmd.on('ready', () => queues.pumpAll());

  async function open(): Promise<void> {
    await link.open();
    await lease.start();
    await probe.start();
    stopSweep = every(clock, queues.sweepIntervalMs, () => queues.sweep());
  }

  function dropFeed(feed: RoomFeed): void {
    if (feeds.get(feed.room) !== feed) return;
    feeds.delete(feed.room);
    feed.close();
    void channels.remove(keys.room(feed.room).channel);
  }

  async function feedOf(room: string): Promise<RoomFeed> {
    const existing = feeds.get(room);
    if (existing) {
      await feedReady.get(existing);
      return existing;
    }
    const feed = new RoomFeed(room, (r, q) => store.read(r, q), clock);
    feeds.set(room, feed);
    const ready = channels
      .add(keys.room(room).channel, (raw) => feed.receive(raw))
      .then(() => feed.seed());
    feedReady.set(feed, ready);
    await ready;
    return feed;
  }

  return {
    nodeId,
    queues,

    start() {
      started ??= open().catch((error) => {
        started = null;
        throw error;
      });
      return started;
    },

    async close() {
      if (!started) return;
      await started.catch(() => {});
      started = null;
      stopSweep?.();
      stopSweep = null;
      for (const feed of [...feeds.values()]) dropFeed(feed);
      probe.stop();
      await lease.stop();
      await link.close();
    },

    publish(input: PublishInput): Promise<StoredMessage> {
      return store.publish(input);
    },

    async listen(room: string, listener: RoomListener): Promise<Unsubscribe> {
      // Wrapped so the same listener object can listen twice and be removed once.
      const entry: RoomListener = {
        message: (m, json) => listener.message(m, json),
        presence: (c) => listener.presence(c),
        lost: (r, p) => listener.lost?.(r, p),
      };
      try {
        const feed = await feedOf(room);
        feed.listeners.add(entry);
        return async () => {
          feed.listeners.delete(entry);
          if (feed.listeners.size === 0) dropFeed(feed);
        };
      } catch (error) {
        const feed = feeds.get(room);
        if (feed && feed.listeners.size === 0) dropFeed(feed);
        throw error;
      }
    },

    history(room: string, query: HistoryQuery): Promise<StoredPage> {
      return store.read(room, query);
    },

    position(room: string): Promise<StreamPosition> {
      return store.position(room);
    },

    join(room: string, uid: string, memberId: string) {
      return presence.join(room, uid, memberId);
    },

    leave(room: string, uid: string, memberId: string) {
      return presence.leave(room, uid, memberId);
    },

    members(room: string) {
      return presence.members(room);
    },

    async rememberUid(uid: string) {
      await link.script('swClaim', [keys.knownUids], [uid, now(), claimTtlMs, maxClaims]);
    },

    async isKnownUid(name: string) {
      const claimed = await link.script<number>(
        'swIsClaimed',
        [keys.knownUids, keys.room(name).uids],
        [name, now()],
      );
      return claimed === 1;
    },
  };
}
