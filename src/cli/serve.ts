import { redisEngine } from '../engines/redis/index.js';
import { createServer } from '../server/createServer.js';
import { jwtAuth } from '../server/jwtAuth.js';
import type { ServerOptions } from '../server/options.js';
import { type CommandLine, intOption } from './args.js';
import { type Output, untilInterrupted } from './output.js';
import { DEFAULT_PORT } from './usage.js';

/**
 * `statewire serve`: the embedded broker until Ctrl-C; the first stdout line is its URL, then a
 * `server.stats()` JSON line on every SIGUSR2.
 */
export async function serve(line: CommandLine, io: Output): Promise<void> {
  const options: ServerOptions = {
    port: intOption(line.options, 'port', DEFAULT_PORT),
    host: line.options.host ?? '127.0.0.1',
  };
  const historySize = line.options['history-size'];
  const history =
    historySize === undefined ? undefined : { size: intOption(line.options, 'history-size', 0, 1) };
  const redisUrl = line.options.redis ?? process.env.STATEWIRE_REDIS_URL;
  if (redisUrl) {
    options.engine = redisEngine({
      url: redisUrl,
      prefix: line.options['redis-prefix'],
      leaseMs: intOption(line.options, 'lease-ms', 10_000, 100),
      history,
    });
  } else if (history) {
    options.history = history;
  }
  const secret = line.options['token-secret'];
  if (secret !== undefined) options.auth = jwtAuth({ secret });

  const interrupted = untilInterrupted();
  const server = createServer(options);
  try {
    await server.start();
  } catch (error) {
    interrupted.cancel();
    throw error;
  }
  io.out(server.url);
  io.err(`statewire listening on ${server.url} (HTTP ${server.httpUrl}), Ctrl-C to stop`);
  // `kill -USR2 <pid>` asks a running broker what it holds, without stopping it.
  const printStats = () => io.out(JSON.stringify(server.stats()));
  process.on('SIGUSR2', printStats);
  await interrupted.promise;
  process.off('SIGUSR2', printStats);
  io.err('shutting down');
  await server.close();
}
