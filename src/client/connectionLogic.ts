import { type Credentials, createCredentialActors } from '../actors/credentials.js';
import { createNetworkLogic, defaultNetworkEventTarget } from '../actors/network.js';
import { createSocketLogic } from '../actors/socket.js';
import { webSocketTransport } from '../actors/webSocketTransport.js';
import { authMachine } from '../machines/auth.js';
import { connectionMachine } from '../machines/connection.js';
import type { HelloMsg, ServerMessage } from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import { epochNow } from './clock.js';
import type { Outbox } from './outbox.js';
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

function hello(credentials: Credentials, uid: string | undefined): HelloMsg {
  // `acks`: publish acks may come gathered (Calls.onAcks); a server without it sends `res`.
  const message: HelloMsg = { type: 'hello', v: PROTOCOL_VERSION, features: ['acks'] };
  const token = credentials.token;
  if (token !== undefined) message.token = token;
  else if (uid !== undefined) message.uid = uid;
  return message;
}

/** The connection machine with the world plugged in: socket, auth, network, hello and ping. */
export function connectionLogic(wiring: ConnectionWiring) {
  const { options, credentials, outbox } = wiring;
  let heartbeats = 0;
  const credentialActors = createCredentialActors({
    credentials,
    now: epochNow(options.clock),
    onChallenge: options.onChallenge,
    sendSignature: (signature) => outbox.send({ type: 'auth', signature }),
    sendToken: wiring.requestToken,
  });
  return connectionMachine.provide({
    actors: {
      socket: createSocketLogic({
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
      }),
      auth: authMachine.provide({ actors: credentialActors }),
      network: createNetworkLogic(
        options.networkEventTarget === undefined
          ? defaultNetworkEventTarget()
          : (options.networkEventTarget ?? undefined),
      ),
    },
    actions: {
      sendHello: ({ context }) => outbox.send(hello(credentials, context.uid)),
      sendPing: () => outbox.send({ type: 'ping', id: `hb${++heartbeats}` }),
    },
  });
}
