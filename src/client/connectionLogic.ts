import {
  type CredentialDeps,
  type Credentials,
  createCredentialActors,
} from '../actors/credentials.js';
import {
  createNetworkLogic,
  defaultNetworkEventTarget,
  type NetworkEventTarget,
} from '../actors/network.js';
import { createSocketLogic, type SocketDeps } from '../actors/socket.js';
import { webSocketTransport } from '../actors/webSocketTransport.js';
import { authMachine } from '../machines/auth.js';
import { connectionMachine } from '../machines/connection.js';
import type { HelloMsg, ServerMessage } from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import { epochNow } from './clock.js';
import type { Outbox } from './outbox.js';
import { type AnySystem, SystemScope } from './systemScope.js';
import type { ClientEvents, ClientOptions } from './types.js';

export interface ConnectionWiring {
  options: ClientOptions;
  credentials: Credentials;
  outbox: Outbox;
  /** Sends a refreshed token on the live socket (a `token` request). */
  requestToken(token: string): Promise<unknown>;
  onMessage(message: ServerMessage): void;
  onError(error: ClientEvents['error']): void;
}

/** One client's world, as the machine's actors and actions reach it. */
interface ConnectionWorld {
  socket: SocketDeps;
  credentials: CredentialDeps;
  network: NetworkEventTarget | undefined;
  sendHello(uid: string | undefined): void;
  sendPing(): void;
}

const worlds = new SystemScope<ConnectionWorld>('a connection actor');

function hello(credentials: Credentials, uid: string | undefined, echo: boolean): HelloMsg {
  // `acks`: publish acks may come gathered (Calls.onAcks); a server without it sends `res`.
  // `msgs`: room messages may come in runs (Rooms.deliverRun); without it, `msg` items.
  const message: HelloMsg = { type: 'hello', v: PROTOCOL_VERSION, features: ['acks', 'msgs'] };
  if (!echo) message.echo = false;
  const token = credentials.token;
  if (token !== undefined) message.token = token;
  else if (uid !== undefined) message.uid = uid;
  return message;
}

/**
 * The connection machine with the world plugged in, once for every client: socket, auth,
 * network, hello and ping find their client through the actor system (`wireConnection`). A
 * `.provide()` per client would rebuild the connection's and auth's state nodes (≈ 55 KB and
 * ≈ 1 ms a client).
 */
export const clientConnectionLogic = connectionMachine.provide({
  actors: {
    socket: createSocketLogic((system) => worlds.of(system).socket),
    auth: authMachine.provide({
      actors: createCredentialActors((system) => worlds.of(system).credentials),
    }),
    network: createNetworkLogic((system) => worlds.of(system).network),
  },
  actions: {
    sendHello: ({ context, system }) => worlds.of(system).sendHello(context.uid),
    sendPing: ({ system }) => worlds.of(system).sendPing(),
  },
});

/** Plugs one client's world into its connection actor; call before the actor starts. */
export function wireConnection(actor: { system: AnySystem }, wiring: ConnectionWiring) {
  const { options, credentials, outbox } = wiring;
  let heartbeats = 0;
  worlds.set(actor.system, {
    socket: {
      transport: options.transport ?? webSocketTransport(),
      url: options.url,
      link: outbox,
      onMessage: wiring.onMessage,
      onInvalidFrame: (error) =>
        wiring.onError({
          code: 'BAD_REQUEST',
          message: `invalid frame from server: ${(error as Error).message}`,
          recoverable: true,
        }),
    },
    credentials: {
      credentials,
      now: epochNow(options.clock),
      onChallenge: options.onChallenge,
      sendSignature: (signature) => outbox.send({ type: 'auth', signature }),
      sendToken: wiring.requestToken,
    },
    network:
      options.networkEventTarget === undefined
        ? defaultNetworkEventTarget()
        : (options.networkEventTarget ?? undefined),
    sendHello: (uid) => outbox.send(hello(credentials, uid, options.echo !== false)),
    sendPing: () => outbox.send({ type: 'ping', id: `hb${++heartbeats}` }),
  });
}
