import { createServer } from '../server/createServer.js';
import { jwtAuth } from '../server/jwtAuth.js';
import type { ServerOptions } from '../server/options.js';
import { type CommandLine, intOption } from './args.js';
import { type Output, untilInterrupted } from './output.js';
import { DEFAULT_PORT } from './usage.js';

/** `statewire serve`: the embedded broker until Ctrl-C; the first stdout line is its URL. */
export async function serve(line: CommandLine, io: Output): Promise<void> {
  const options: ServerOptions = {
    port: intOption(line.options, 'port', DEFAULT_PORT),
    host: line.options.host ?? '127.0.0.1',
  };
  const historySize = line.options['history-size'];
  if (historySize !== undefined) {
    options.history = { size: intOption(line.options, 'history-size', 0, 1) };
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
  await interrupted.promise;
  io.err('shutting down');
  await server.close();
}
