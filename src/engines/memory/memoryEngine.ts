import { nanoid } from 'nanoid';
import { jsonOf } from '../../protocol/codec.js';
import type { StreamPosition } from '../../protocol/frames.js';
import type {
  Engine,
  HistoryQuery,
  PresenceChange,
  PublishInput,
  RoomListener,
  StoredMessage,
  StoredPage,
  Unsubscribe,
} from '../Engine.js';
import { type EngineClock, every, realEngineClock } from '../engineClock.js';
import { entryBytesOfJson } from '../entryBytes.js';
import { offerImmediatePublish } from '../immediatePublish.js';
import { MemoryQueues, type MemoryQueuesOptions } from './memoryQueues.js';
import { PresenceBook } from './presenceBook.js';
import { RecentPublishes } from './recentPublishes.js';
import type { HistoryLimits } from './roomLog.js';
import { RoomLog } from './roomLog.js';
import { RoomLogs } from './roomLogs.js';
import { type UidClaimLimits, UidClaims } from './uidClaims.js';

export interface MemoryHistoryOptions extends Partial<HistoryLimits> {
  /** Bytes of history all rooms keep together; past it the oldest messages go first. */
  maxTotalBytes?: number;
  /**
   * Empty rooms nobody listens to whose offsets are remembered; past it the oldest is forgotten
   * and comes back under a new epoch.
   */
  maxIdleRooms?: number;
}

export interface MemoryEngineOptions {
  /**
   * History bounds: per room `size` messages (default 1000), `maxBytes` (default 1 MiB) and
   * `ttlMs` age (default none); `maxTotalBytes` for all rooms together (default 64 MiB),
   * `maxIdleRooms` (default 10,000). Sizes are the messages' JSON length. A trimmed gap is
   * reported as `recovered: false`.
   */
  history?: MemoryHistoryOptions;
  /**
   * How long a uid's personal room stays its own after its last session (`ttlMs`, default
   * 24 h), and how many such claims are kept at most (`max`, default 100,000).
   */
  uidClaims?: Partial<UidClaimLimits>;
  /** How many recent message ids are remembered to drop repeated publishes (default 10,000). */
  dedupeWindow?: number;
  /** Work queue bounds: maxLength, prefetch, ackTimeoutMs, maxAttempts. */
  queues?: Omit<MemoryQueuesOptions, 'now'>;
  /** Time source for message timestamps, history ttl and queue timeouts (default Date.now). */
  now?: () => number;
  /**
   * Timers of the engine's sweep (ack timeouts, idle temporary queues, expired uid claims);
   * default: real timers. A test passes xstate's `SimulatedClock` with a matching `now`.
   */
  clock?: EngineClock;
  /** Failures of the background sweep (default console.error); the server passes its own. */
  onError?: (error: unknown, where: string) => void;
}

export interface MemoryEngine extends Engine {
  /**
   * Random per instance: a new memory engine means history was lost. Rooms start under it; one
   * forgotten as idle (`history.maxIdleRooms`) comes back under a derived epoch.
   */
  readonly epoch: string;
  /** Bytes of history all rooms keep now (what `history.maxTotalBytes` bounds). */
  historyBytes(): number;
  readonly queues: MemoryQueues;
}

export const DEFAULT_HISTORY_SIZE = 1000;
export const DEFAULT_HISTORY_BYTES = 1024 * 1024;
export const DEFAULT_HISTORY_TOTAL_BYTES = 64 * 1024 * 1024;
export const DEFAULT_IDLE_ROOMS = 10_000;
export const DEFAULT_UID_CLAIM_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_UID_CLAIMS = 100_000;
const DEFAULT_DEDUPE_WINDOW = 10_000;

/** One listen() of a listener: an object of its own, without a closure per method. */
class ListenerEntry implements RoomListener {
  constructor(private readonly listener: RoomListener) {}

  message(message: StoredMessage, contentJson?: string): void {
    this.listener.message(message, contentJson);
  }

  presence(change: PresenceChange): void {
    this.listener.presence(change);
  }
}

/**
 * The embedded engine: all broker state in this process. Fan-out callbacks run synchronously
 * inside `publish`/`join`/`leave`, so a message is handed to every listener before the
 * publish promise settles. Its state outlives `close()`: a server restarted with the same
 * instance keeps history, epoch and queues. Unacked queue deliveries time out only while it
 * is started.
 */
export function memoryEngine(options: MemoryEngineOptions = {}): MemoryEngine {
  const limits: HistoryLimits = {
    size: options.history?.size ?? DEFAULT_HISTORY_SIZE,
    ttlMs: options.history?.ttlMs ?? 0,
    maxBytes: options.history?.maxBytes ?? DEFAULT_HISTORY_BYTES,
  };
  const now = options.now ?? Date.now;
  const epoch = nanoid(12);
  const logs = new RoomLogs(epoch, {
    ...limits,
    maxTotalBytes: options.history?.maxTotalBytes ?? DEFAULT_HISTORY_TOTAL_BYTES,
    maxIdleRooms: options.history?.maxIdleRooms ?? DEFAULT_IDLE_ROOMS,
  });
  const listeners = new Map<string, Set<RoomListener>>();
  const presence = new PresenceBook();
  const uidClaims = new UidClaims(
    {
      ttlMs: options.uidClaims?.ttlMs ?? DEFAULT_UID_CLAIM_TTL_MS,
      max: options.uidClaims?.max ?? DEFAULT_UID_CLAIMS,
    },
    now,
  );
  const recent = new RecentPublishes(options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW);
  const queues = new MemoryQueues({ ...options.queues, now });
  const clock = options.clock ?? realEngineClock;
  const onError =
    options.onError ?? ((error, where) => console.error(`[statewire] ${where}:`, error));
  /** Stops the sweep, while started. */
  let stopSweep: (() => void) | null = null;

  /** Returns deliveries whose ack timed out, drops idle temporary queues and expired claims. */
  function sweep(): void {
    try {
      queues.expireUnacked();
      queues.expireIdle();
      uidClaims.expire();
    } catch (error) {
      onError(error, 'memory engine sweep');
    }
  }

  // A listener that throws must not keep the message from the others.
  function fanOut(room: string, deliver: (listener: RoomListener) => void): void {
    const set = listeners.get(room);
    if (!set) return;
    for (const listener of set) {
      try {
        deliver(listener);
      } catch {}
    }
  }

  function announce(change: PresenceChange | null): void {
    if (change) fanOut(change.room, (l) => l.presence(change));
  }

  function publishNow(input: PublishInput): StoredMessage {
    const seen = recent.get(input.room, input.id);
    // The first result: the stored message while history keeps it, else its receipt.
    if (seen) {
      const kept = logs.get(input.room, now())?.at(seen.offset);
      return kept?.epoch === seen.epoch ? kept : { ...seen, content: input.content };
    }
    // Encoded once: the byte budgets count its length, the listeners send it.
    const contentJson = input.contentJson ?? jsonOf(input.content);
    const bytes = entryBytesOfJson(contentJson, input.room, input.event, input.id, input.from);
    const at = now();
    const log = logs.forAppend(input.room, at);
    const stored: StoredMessage = {
      room: input.room,
      event: input.event,
      content: input.content,
      offset: log.lastOffset + 1,
      epoch: log.epoch,
      id: input.id,
      at,
    };
    if (input.from !== undefined) stored.from = input.from;
    log.append(stored, bytes);
    recent.add(stored);
    fanOut(input.room, (listener) => listener.message(stored, contentJson));
    return stored;
  }

  const engine: MemoryEngine = {
    epoch,
    queues,

    async start() {
      stopSweep ??= every(clock, queues.sweepIntervalMs, sweep);
    },

    async close() {
      stopSweep?.();
      stopSweep = null;
    },

    async publish(input: PublishInput): Promise<StoredMessage> {
      return publishNow(input);
    },

    async listen(room: string, listener: RoomListener): Promise<Unsubscribe> {
      // Wrapped so the same listener object can listen twice and be removed once.
      const entry = new ListenerEntry(listener);
      let set = listeners.get(room);
      if (!set) {
        set = new Set();
        listeners.set(room, set);
      }
      set.add(entry);
      logs.listen(room);
      return async () => {
        set.delete(entry);
        if (set.size > 0 || listeners.get(room) !== set) return;
        listeners.delete(room);
        logs.unlisten(room);
      };
    },

    async history(room: string, query: HistoryQuery): Promise<StoredPage> {
      const log = logs.get(room, now()) ?? new RoomLog(limits, logs.epoch);
      return log.read(query);
    },

    async position(room: string): Promise<StreamPosition> {
      const log = logs.get(room, now());
      return log ? { epoch: log.epoch, offset: log.lastOffset } : { epoch: logs.epoch, offset: 0 };
    },

    async join(room: string, uid: string, memberId: string) {
      announce(presence.join(room, uid, memberId));
    },

    async leave(room: string, uid: string, memberId: string) {
      announce(presence.leave(room, uid, memberId));
    },

    async members(room: string) {
      return presence.members(room);
    },

    async rememberUid(uid: string) {
      uidClaims.renew(uid);
    },

    async isKnownUid(name: string) {
      return uidClaims.has(name) || presence.has(name, name);
    },

    historyBytes() {
      return logs.bytes;
    },
  };
  offerImmediatePublish(engine, publishNow);
  return engine;
}
