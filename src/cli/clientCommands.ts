import { createClient } from '../api/createClient.js';
import { withClient } from '../api/withClient.js';
import type { ClientEvents, ClientOptions } from '../client/types.js';
import { StatewireError } from '../errors/StatewireError.js';
import { type CommandLine, intOption, jsonArgument } from './args.js';
import { type Output, untilInterrupted } from './output.js';
import { DEFAULT_RPC_TIMEOUT_MS, DEFAULT_URL } from './usage.js';

function optionsFor(line: CommandLine): ClientOptions {
  const options: ClientOptions = {
    url: line.options.url ?? process.env.STATEWIRE_URL ?? DEFAULT_URL,
  };
  const token = line.options.token ?? process.env.STATEWIRE_TOKEN;
  if (token) options.token = token;
  if (line.options.uid !== undefined) options.uid = line.options.uid;
  return options;
}

/** `statewire pub <room> <event> <json>`: prints the ack `{offset, epoch, id}`. */
export async function pub(line: CommandLine, io: Output): Promise<void> {
  const { room, event } = line.args;
  const content = jsonArgument(line.args.json);
  const ack = await withClient(optionsFor(line), (client) => client.publish(room, event, content));
  io.out(JSON.stringify(ack));
}

/** `statewire request <event> <json>`: prints the handler's reply. */
export async function request(line: CommandLine, io: Output): Promise<void> {
  const content = jsonArgument(line.args.json);
  const reply = await withClient(optionsFor(line), (client) =>
    client.request(line.args.event, content),
  );
  io.out(JSON.stringify(reply ?? null));
}

/** `statewire rpc <queue> <json>`: prints the reply of the queue's consumer. */
export async function rpc(line: CommandLine, io: Output): Promise<void> {
  const content = jsonArgument(line.args.json);
  const timeoutMs = intOption(line.options, 'timeout', DEFAULT_RPC_TIMEOUT_MS, 1);
  const reply = await withClient(optionsFor(line), (client) =>
    client.rpc(line.args.queue, content, { timeoutMs }),
  );
  io.out(JSON.stringify(reply ?? null));
}

function describeDisconnect({ reason, code, willReconnect }: ClientEvents['disconnected']) {
  const how = code === undefined ? reason : `${code} ${reason}`;
  return `disconnected (${how})${willReconnect ? ', reconnecting' : ''}`;
}

/**
 * `statewire sub <room> [--count n]`: one JSON line per message on stdout, the lifecycle on
 * stderr; ends after n messages, on Ctrl-C, or with an error once the client gives up.
 */
export async function sub(line: CommandLine, io: Output): Promise<void> {
  const { room } = line.args;
  const count =
    line.options.count === undefined
      ? Number.POSITIVE_INFINITY
      : intOption(line.options, 'count', 0, 1);
  const client = createClient(optionsFor(line));
  let lastError: StatewireError | undefined;
  client.on('signedIn', ({ uid }) => io.err(`signed in as ${uid}`));
  client.on('disconnected', (event) => io.err(describeDisconnect(event)));
  client.on('error', ({ code, message }) => {
    lastError = new StatewireError(code, message);
  });
  const interrupted = untilInterrupted();
  try {
    await client.connect();
    const subscription = client.subscribe(room);
    await new Promise<void>((resolve, reject) => {
      let received = 0;
      subscription.on('message', (message) => {
        io.out(JSON.stringify(message));
        if (++received >= count) resolve();
      });
      subscription.on('recovered', ({ recovered, missed }) =>
        io.err(
          recovered
            ? `resubscribed, ${missed} missed message(s) recovered`
            : 'resubscribed, history lost',
        ),
      );
      subscription.on('state', ({ to }) => {
        if (to === 'subscribed') io.err(`subscribed to ${room}`);
        if (to === 'failed') subscription.ready().catch(reject);
      });
      client.on('state', ({ to }) => {
        if (to === 'closed')
          reject(lastError ?? new StatewireError('DISCONNECTED', 'connection closed'));
      });
      subscription.ready().catch(reject);
      interrupted.promise.then(resolve);
    });
  } finally {
    interrupted.cancel();
    await client.disconnect();
  }
}
