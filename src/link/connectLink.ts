import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import { createSocketLogic } from '../actors/socket.js';
import type { Transport } from '../actors/transport.js';
import { webSocketTransport } from '../actors/webSocketTransport.js';
import type { ClientClock } from '../client/clock.js';
import { StatewireError } from '../errors/StatewireError.js';
import {
  type ConnectionInput,
  connectionMachine,
  connectionStateName,
} from '../machines/connection.js';
import type { ServerMessage } from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { LinkPeer } from './peer.js';

export interface LinkConnectOptions {
  timeoutMs: number;
  clock?: ClientClock;
  transport?: Transport;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/**
 * The connecting side of a link: the client's connection machine and socket actor, with no
 * credential (`hello {v}` answered by `welcome`) and no reconnect: when the link goes, it is
 * closed. The heartbeat runs at the interval the bound side announces.
 */
export class LinkConnection {
  readonly actor: Actor<typeof connectionMachine>;
  readonly ready: Promise<void>;
  #heartbeats = 0;

  constructor(url: string, peer: LinkPeer, options: LinkConnectOptions) {
    const socket = {
      transport: options.transport ?? webSocketTransport(),
      url,
      link: peer.outbox,
      // The data path: `send`, `ping` and `pong` of the peer (lifecycle frames go to the machine).
      onMessage: (message: ServerMessage) => peer.receive(message),
      onInvalidFrame: () => undefined,
    };
    const logic = connectionMachine.provide({
      actors: {
        socket: createSocketLogic(() => socket),
      },
      actions: {
        sendHello: () => peer.outbox.send({ type: 'hello', v: PROTOCOL_VERSION }),
        sendPing: () => peer.outbox.send({ type: 'ping', id: `hb${++this.#heartbeats}` }),
      },
    });
    const input: ConnectionInput = {
      auth: { mode: 'none', refreshLeadMs: 0 },
      reconnect: false,
      timeoutMs: options.timeoutMs,
      waitOnFirstConnect: false,
    };
    this.actor = createActor(logic, {
      input,
      ...(options.clock && { clock: options.clock }),
      ...(options.inspect && { inspect: options.inspect }),
    });
    this.ready = new Promise((resolve, reject) => {
      this.actor.subscribe((snapshot) => {
        const state = connectionStateName(snapshot);
        const { context } = snapshot;
        if (state === 'connected') {
          if (context.maxPayload !== undefined) peer.outbox.maxFrameBytes = context.maxPayload;
          peer.opened();
          resolve();
        } else if (state === 'closed') {
          const failure = context.failure;
          peer.closed(context.close?.reason ?? failure?.message ?? 'closed', context.close?.code);
          reject(new StatewireError(failure?.code ?? 'DISCONNECTED', failure?.message ?? 'closed'));
        }
      });
    });
    // A link that was connected and closed later is not an error anyone waits for.
    this.ready.catch(() => undefined);
    this.actor.start();
    this.actor.send({ type: 'CONNECT' });
  }

  /** Closed for good (by either side, or never connected). */
  get ended(): boolean {
    const snapshot = this.actor.getSnapshot();
    return snapshot.status !== 'active' || snapshot.value === 'closed';
  }

  close(): void {
    this.actor.send({ type: 'DISCONNECT' });
    this.actor.stop();
  }
}
