import type { TransportSocket } from '../actors/transport.js';
import { StatewireError } from '../errors/StatewireError.js';

const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
/**
 * A burst leaves in frames of at most this many messages: the server starts on the first while
 * the caller still produces the rest, and its answers come back in pieces, so client and server
 * work at the same time instead of taking turns (32 publishes in flight: ~1.25× msg/s over one
 * frame per burst).
 */
const MAX_MESSAGES_PER_FRAME = 16;
/**
 * Within one tick, each frame that left full lets the next carry twice as many, up to this: a
 * bulk burst (10k subscribes) leaves in ~45 frames instead of 625, while a window of 32 in
 * flight never queues enough to notice.
 */
const MAX_BULK_MESSAGES_PER_FRAME = 256;

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * Outgoing messages of the open socket. Everything sent within one tick leaves batched (JSON
 * array frames), which is what makes 10k subscribes or a burst of publishes cheap.
 */
export class Outbox {
  #socket: TransportSocket | undefined;
  #queue: string[] = [];
  #scheduled = false;
  /** Messages per frame in this tick (grows while frames leave full). */
  #frameCap = MAX_MESSAGES_PER_FRAME;
  /** The server's `maxPayload` once signed in. */
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;

  get isOpen(): boolean {
    return this.#socket !== undefined;
  }

  attach(socket: TransportSocket): void {
    this.#socket = socket;
    this.#queue = [];
  }

  /** Queued messages of a closed socket are dropped: calls are settled by the client. */
  detach(socket: TransportSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#queue = [];
    this.maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  }

  /**
   * Queues a message; throws PAYLOAD_TOO_LARGE for one that no frame could carry. It is encoded
   * here, not when its frame leaves: a caller may change the object it passed right after.
   */
  send(message: object): boolean {
    if (!this.#socket) return false;
    return this.sendText(JSON.stringify(message));
  }

  /** Queues a message already encoded; throws PAYLOAD_TOO_LARGE like `send`. */
  sendText(text: string): boolean {
    if (!this.#socket) return false;
    // A UTF-16 unit is at most 3 UTF-8 bytes: count exactly only when it could be too big.
    if (text.length * 3 > this.maxFrameBytes && utf8Length(text) > this.maxFrameBytes) {
      throw new StatewireError(
        'PAYLOAD_TOO_LARGE',
        `message of ${utf8Length(text)} bytes exceeds ${this.maxFrameBytes}`,
      );
    }
    this.#queue.push(text);
    // A full batch leaves at once, so the server works on it while the caller keeps going.
    if (this.#queue.length >= this.#frameCap) {
      this.#flush();
      this.#frameCap = Math.min(MAX_BULK_MESSAGES_PER_FRAME, this.#frameCap * 2);
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushLater);
    }
    return true;
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.#flush();
    this.#frameCap = MAX_MESSAGES_PER_FRAME;
  };

  #flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    const socket = this.#socket;
    if (!socket || queue.length === 0) return;
    // Characters that surely fit in maxFrameBytes of UTF-8; a bigger message goes alone.
    const budget = Math.floor(this.maxFrameBytes / 3);
    let batch: string[] = [];
    let size = 2;
    for (const text of queue) {
      if (batch.length === this.#frameCap || (batch.length > 0 && size + text.length > budget)) {
        socket.send(frameOf(batch));
        batch = [];
        size = 2;
      }
      batch.push(text);
      size += text.length + 1;
    }
    socket.send(frameOf(batch));
  }
}

function frameOf(batch: string[]): string {
  return batch.length === 1 ? batch[0] : `[${batch.join(',')}]`;
}
