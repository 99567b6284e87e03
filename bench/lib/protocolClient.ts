import WebSocket from 'ws';
import { decodeFrame } from '../../src/protocol/codec.js';
import type { StreamPosition } from '../../src/protocol/frames.js';

interface SubscribeReply {
  epoch: string;
  offset: number;
  recovered: boolean;
}

/**
 * The protocol spoken by hand, as little client work as a client can do: sign in as `uid`,
 * subscribe to `room` (from the last position once it has one), and on a lost socket do it
 * again at once. Lets a bench load the broker with many clients from one process.
 */
export class ProtocolClient {
  #socket: WebSocket | null = null;
  #stopped = false;
  #position: StreamPosition | undefined;
  #onSubscribed: (() => void) | null = null;
  /** Resubscribes the broker answered with `recovered: true`. */
  recovered = 0;

  constructor(
    private readonly port: number,
    private readonly uid: string,
    private readonly room: string,
  ) {}

  /** Resolves once signed in and subscribed (the first time or after a loss). */
  subscribed(): Promise<void> {
    return new Promise((resolve) => {
      this.#onSubscribed = resolve;
    });
  }

  /** Opens the socket; reopens it whenever it is lost, until `stop()`. */
  open(): void {
    const socket = new WebSocket(`ws://127.0.0.1:${this.port}`);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'hello', v: 1, uid: this.uid })));
    socket.on('message', (data) => {
      for (const item of decodeFrame(String(data))) this.#onMessage(socket, item as never);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!this.#stopped) this.open();
    });
    this.#socket = socket;
  }

  stop(): void {
    this.#stopped = true;
    this.#socket?.terminate();
  }

  #onMessage(socket: WebSocket, message: { type: string; id?: string; data?: SubscribeReply }) {
    if (message.type === 'welcome') {
      const sub: Record<string, unknown> = { type: 'sub', id: 's', room: this.room };
      if (this.#position) sub.since = this.#position;
      socket.send(JSON.stringify(sub));
    } else if (message.type === 'res' && message.id === 's' && message.data) {
      const { epoch, offset, recovered } = message.data;
      if (recovered) this.recovered++;
      this.#position = { epoch, offset };
      this.#onSubscribed?.();
      this.#onSubscribed = null;
    }
  }
}
