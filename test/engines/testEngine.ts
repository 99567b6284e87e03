import { nanoid } from 'nanoid';
import { afterAll } from 'vitest';
import { redisEngine } from '../../src/engines/redis/index.js';
import type { ServerOptions } from '../../src/server/index.js';
import { deleteKeys, REDIS_URL } from './contract/fixtures.js';

/** `STATEWIRE_ENGINE=redis` runs the server and client suites on the Redis engine. */
export const ENGINE = process.env.STATEWIRE_ENGINE === 'redis' ? 'redis' : 'memory';

const prefixes: string[] = [];
afterAll(() => deleteKeys(prefixes.splice(0)));

/**
 * Server options on the engine under test: unchanged for memory or when the test passes its
 * own engine; otherwise a Redis engine under a fresh key prefix carrying the history limits.
 */
export function onTestEngine(options: ServerOptions): ServerOptions {
  if (ENGINE !== 'redis' || options.engine) return options;
  const { history, ...rest } = options;
  const prefix = `swtest:${nanoid(8)}`;
  prefixes.push(prefix);
  return { ...rest, engine: redisEngine({ url: REDIS_URL, prefix, leaseMs: 2000, history }) };
}
