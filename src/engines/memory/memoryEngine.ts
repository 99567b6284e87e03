import { nanoid } from 'nanoid';
import type { StreamPosition } from '../../protocol/frames.js';
import type {
  Engine,
  HistoryPage,
  HistoryQuery,
  PresenceChange,
  PublishInput,
  RoomListener,
  StoredMessage,
  Unsubscribe,
} from '../Engine.js';
import { IdWindow } from './idWindow.js';
import { MemoryQueues, type MemoryQueuesOptions } from './memoryQueues.js';
import { PresenceBook } from './presenceBook.js';
import { type HistoryLimits, RoomLog } from './roomLog.js';

export interface MemoryEngineOptions {
  /** Per-room history bounds: `size` messages (default 1000), `ttlMs` age (default none). */
  history?: Partial<HistoryLimits>;
  /** How many recent message ids are remembered to drop repeated publishes (default 10,000). */
  dedupeWindow?: number;
  /** Work queue bounds: maxLength, prefetch, ackTimeoutMs, maxAttempts. */
  queues?: Omit<MemoryQueuesOptions, 'now'>;
  /** Time source for message timestamps, history ttl and queue timeouts (default Date.now). */
  now?: () => number;
}

export interface MemoryEngine extends Engine {
  /** Random per instance: a new memory engine means history was lost. */
  readonly epoch: string;
  readonly queues: MemoryQueues;
}

export const DEFAULT_HISTORY_SIZE = 1000;
const DEFAULT_DEDUPE_WINDOW = 10_000;

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
  };
  const now = options.now ?? Date.now;
  const epoch = nanoid(12);
  const logs = new Map<string, RoomLog>();
  const listeners = new Map<string, Set<RoomListener>>();
  const presence = new PresenceBook();
  const knownUids = new Set<string>();
  const recentIds = new IdWindow<StoredMessage>(options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW);
  const queues = new MemoryQueues({ ...options.queues, now });
  /** Returns deliveries whose ack timed out; runs while the engine is started. */
  let ackSweep: ReturnType<typeof setInterval> | null = null;

  function logOf(room: string): RoomLog {
    let log = logs.get(room);
    if (!log) {
      log = new RoomLog(limits);
      logs.set(room, log);
    }
    log.expire(now());
    return log;
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

  return {
    epoch,
    queues,

    async start() {
      if (ackSweep) return;
      ackSweep = setInterval(() => queues.expireUnacked(), queues.sweepIntervalMs);
      ackSweep.unref();
    },

    async close() {
      if (ackSweep) clearInterval(ackSweep);
      ackSweep = null;
    },

    async publish(input: PublishInput): Promise<StoredMessage> {
      const key = `${input.room}\u0000${input.id}`;
      const seen = recentIds.get(key);
      if (seen) return seen;
      const log = logOf(input.room);
      const stored: StoredMessage = {
        room: input.room,
        event: input.event,
        content: input.content,
        offset: log.lastOffset + 1,
        epoch,
        id: input.id,
        at: now(),
      };
      if (input.from !== undefined) stored.from = input.from;
      log.append(stored);
      recentIds.remember(key, stored);
      fanOut(input.room, (l) => l.message(stored));
      return stored;
    },

    async listen(room: string, listener: RoomListener): Promise<Unsubscribe> {
      // Wrapped so the same listener object can listen twice and be removed once.
      const entry: RoomListener = {
        message: (m) => listener.message(m),
        presence: (c) => listener.presence(c),
      };
      let set = listeners.get(room);
      if (!set) {
        set = new Set();
        listeners.set(room, set);
      }
      set.add(entry);
      return async () => {
        set.delete(entry);
        if (set.size === 0 && listeners.get(room) === set) listeners.delete(room);
      };
    },

    async history(room: string, query: HistoryQuery): Promise<HistoryPage> {
      const log = logs.get(room);
      if (!log) return new RoomLog(limits).read(epoch, query);
      log.expire(now());
      return log.read(epoch, query);
    },

    async position(room: string): Promise<StreamPosition> {
      return { epoch, offset: logs.get(room)?.lastOffset ?? 0 };
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
      knownUids.add(uid);
    },

    async isKnownUid(name: string) {
      return knownUids.has(name);
    },
  };
}
