/** Wrong command line: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_URL = `ws://127.0.0.1:${DEFAULT_PORT}`;
export const DEFAULT_RPC_TIMEOUT_MS = 30_000;

export const USAGE = `Usage: statewire <command> [arguments] [options]

Commands:
  serve                       run a broker on this machine until Ctrl-C
  pub <room> <event> <json>   publish one message and print the server's ack
  sub <room>                  print every message of a room as one JSON line
  request <event> <json>      call a server handler and print its reply
  rpc <queue> <json>          send to a queue and print its consumer's reply
  bench                       quick publish → subscriber rate (full suite: npm run bench)

serve options:
  --port <n>              port (default ${DEFAULT_PORT}; 0 = any free port)
  --host <address>        interface to listen on (default 127.0.0.1)
  --token-secret <secret> accept only HS256 JWTs signed with it (uid = the "sub" claim)
  --history-size <n>      messages each room keeps for recovery (default 1000)
  --redis <url>           share the broker with every server on this Redis (redis://host:port;
                          default $STATEWIRE_REDIS_URL; without it: in-memory, this process only)
  --redis-prefix <p>      key prefix: servers with the same Redis and prefix are one broker (sw)
  --lease-ms <n>          a node silent this long is dead: its presence and deliveries go (10000)

pub, sub, request, rpc options:
  --url <url>             server (default $STATEWIRE_URL or ${DEFAULT_URL})
  --token <token>         sign in with this token (default $STATEWIRE_TOKEN)
  --uid <uid>             uid to state when the server has no auth
  --count <n>             sub: exit after n messages
  --timeout <ms>          rpc: how long to wait for the reply (default 30000)

bench options:
  --messages <n>          messages to push through (default 20000)

  -h, --help              show this help

pub, request and rpc are single HTTP calls to the server's port (no socket is opened).
The first line serve prints is the server's URL; on SIGUSR2 (kill -USR2 <pid>) it prints its
server.stats() as a JSON line. Messages and replies go to stdout as JSON,
everything else to stderr. Exit status: 0 done, 1 failed (printed as "CODE: message"),
2 bad usage.
`;
