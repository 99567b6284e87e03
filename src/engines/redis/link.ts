import { Redis, type RedisOptions } from 'ioredis';
import { StatewireError } from '../../errors/StatewireError.js';
import { PUBLISH_BATCH, READ } from './historyScripts.js';
import { ATTACH, DECLARE, DETACH, ENQUEUE, FETCH, SETTLE } from './queueScripts.js';
import { BEAT, CLAIM, IS_CLAIMED, JOIN, LEAVE } from './roomScripts.js';

const SCRIPTS = {
  swPublish: PUBLISH_BATCH,
  swRead: READ,
  swJoin: JOIN,
  swLeave: LEAVE,
  swBeat: BEAT,
  swClaim: CLAIM,
  swIsClaimed: IS_CLAIMED,
  swDeclare: DECLARE,
  swEnqueue: ENQUEUE,
  swAttach: ATTACH,
  swFetch: FETCH,
  swSettle: SETTLE,
  swDetach: DETACH,
};

export type ScriptName = keyof typeof SCRIPTS;

/** Bounds every command: a Redis that does not answer makes calls fail, never hang. */
const COMMAND_TIMEOUT_MS = 2000;

function unavailable(error: unknown): StatewireError {
  if (error instanceof StatewireError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StatewireError('UNAVAILABLE', `redis: ${reason}`, { cause: error });
}

/**
 * The engine's two connections: `cmd` for commands and scripts (autopipelined, no offline
 * queue, so a call while Redis is away fails at once with UNAVAILABLE), `sub` for Pub/Sub
 * only. Both reconnect by themselves, forever.
 */
export class RedisLink {
  readonly cmd: Redis;
  readonly sub: Redis;

  constructor(url: string, extra: RedisOptions = {}) {
    const options: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(50 * times, 1000),
      ...extra,
    };
    this.cmd = new Redis(url, {
      ...options,
      enableAutoPipelining: true,
      // RoomStore batches publishes itself: its script goes out at once, not after the
      // autopipeline in flight (one at a time) has been answered.
      autoPipeliningIgnoredCommands: ['swPublish'],
    });
    this.sub = new Redis(url, options);
    for (const [name, lua] of Object.entries(SCRIPTS)) this.cmd.defineCommand(name, { lua });
    // Errors reach the callers as UNAVAILABLE; the connection retries by itself.
    this.cmd.on('error', () => {});
    this.sub.on('error', () => {});
  }

  async open(): Promise<void> {
    try {
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
    } catch (error) {
      this.cmd.disconnect();
      this.sub.disconnect();
      throw unavailable(error);
    }
  }

  async close(): Promise<void> {
    await Promise.all([quit(this.cmd), quit(this.sub)]);
  }

  /** Runs a script with its keys; any Redis failure becomes UNAVAILABLE. */
  script<T>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T> {
    const run = (this.cmd as unknown as Record<ScriptName, (...a: unknown[]) => Promise<T>>)[name];
    return guard(run.call(this.cmd, keys.length, ...keys, ...args));
  }

  /** A plain command, failures mapped to UNAVAILABLE. */
  call<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    return guard(command(this.cmd));
  }
}

export function guard<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((error) => {
    throw unavailable(error);
  });
}

/** Resolves once the connection has ended, so that `connect()` may start it again. */
async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'end' || redis.status === 'wait') return;
  const ended = new Promise((resolve) => redis.once('end', resolve));
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
  await ended;
}
