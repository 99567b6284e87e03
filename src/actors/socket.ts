import { type ActorSystem, fromCallback } from 'xstate';
import type { SocketEvent } from '../machines/connection.js';
import { decodeFrame, isServerItemShaped } from '../protocol/codec.js';
import type { ServerMessage } from '../protocol/frames.js';
import type { Transport, TransportSocket } from './transport.js';

export interface SocketDeps {
  transport: Transport;
  url: string;
  /** Where the open socket is plugged in for outgoing frames. */
  link: { attach(socket: TransportSocket): void; detach(socket: TransportSocket): void };
  /** The data path: every message that is not a lifecycle event (msg, res, join, …). */
  onMessage(message: ServerMessage): void;
  /** A frame that is not valid JSON messages. */
  onInvalidFrame(error: unknown): void;
}

/** Turns a lifecycle message into the connection machine's event; undefined for data. */
function lifecycleEvent(message: ServerMessage): SocketEvent | undefined {
  switch (message.type) {
    case 'welcome':
      return {
        type: 'WELCOME',
        uid: message.uid,
        session: message.session,
        heartbeatMs: message.heartbeatMs,
        maxPayload: message.maxPayload,
        expiresAt: message.expiresAt,
      };
    case 'challenge':
      return { type: 'CHALLENGE', challenge: message.challenge };
    case 'bye':
      return { type: 'BYE', reason: message.reason };
    case 'pong':
      return { type: 'PONG' };
    case 'error':
      // An error answering a request belongs to the data path.
      if (message.id !== undefined) return undefined;
      return {
        type: 'SERVER.ERROR',
        code: message.code,
        message: message.message,
        graceMs: message.graceMs,
      };
    default:
      return undefined;
  }
}

/**
 * The socket of one connection attempt, invoked by the connection machine: it lives exactly as
 * long as the `online` state, plugs the socket into the client's link while open, and sends the
 * machine lifecycle events only. Closing happens in the cleanup, when the state is left.
 * `depsOf` finds the deps of the actor system it runs in (one logic can serve many clients).
 */
export function createSocketLogic(depsOf: (system: ActorSystem<any>) => SocketDeps) {
  return fromCallback<{ type: string }>(({ sendBack, system }) => {
    const deps = depsOf(system);
    let ended = false;
    const socket: TransportSocket = deps.transport.connect(deps.url, {
      open() {
        if (ended) return;
        deps.link.attach(socket);
        sendBack({ type: 'SOCKET.OPEN' });
      },
      message(text) {
        if (ended) return;
        let messages: unknown[];
        try {
          messages = decodeFrame(text);
        } catch (error) {
          deps.onInvalidFrame(error);
          return;
        }
        for (const raw of messages) {
          if (ended) return;
          if (!isServerItemShaped(raw)) {
            deps.onInvalidFrame(new Error(`not a message: ${JSON.stringify(raw)}`));
            continue;
          }
          const message = raw as ServerMessage;
          const event = lifecycleEvent(message);
          if (event) sendBack(event);
          // A pong also answers `client.ping()`.
          if (!event || message.type === 'pong') deps.onMessage(message);
        }
      },
      close(code, reason) {
        if (ended) return;
        ended = true;
        deps.link.detach(socket);
        sendBack({ type: 'SOCKET.CLOSED', code, reason });
      },
    });
    return () => {
      if (ended) return;
      ended = true;
      deps.link.detach(socket);
      socket.close(1000, 'client closed');
    };
  });
}
