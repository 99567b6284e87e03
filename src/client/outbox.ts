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

function tooLarge(text: string, maxFrameBytes: number): StatewireError | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes: count exactly only when it could be too big.
  if (text.length * 3 <= maxFrameBytes || utf8Length(text) <= maxFrameBytes) return undefined;
  return new StatewireError(
    'PAYLOAD_TOO_LARGE',
    `message of ${utf8Length(text)} bytes exceeds ${maxFrameBytes}`,
  );
}

/**
 * Outgoing messages of the open socket. Everything sent within one tick leaves batched (JSON
 * array frames), which is what makes 10k subscribes or a burst of publishes cheap.
 */
export class Outbox {
  #socket: TransportSocket | undefined;
  /** Encoded messages (`send`) and messages encoded as their frame leaves (`queue`). */
  #queue: Array<string | object> = [];
  /** How many of `#queue` are not encoded yet: a queue of only those is one JSON.stringify. */
  #unencoded = 0;
  #scheduled = false;
  /** Messages per frame in this tick (grows while frames leave full). */
  #frameCap = MAX_MESSAGES_PER_FRAME;
  /** The server's `maxPayload` once signed in. */
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  /** A `queue`d message no frame could carry, found as its frame left: it was not sent. */
  onRefused: (message: object, error: StatewireError) => void = () => undefined;

  get isOpen(): boolean {
    return this.#socket !== undefined;
  }

  attach(socket: TransportSocket): void {
    this.#socket = socket;
    this.#clear();
  }

  /** Queued messages of a closed socket are dropped: calls are settled by the client. */
  detach(socket: TransportSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#clear();
    this.maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  }

  /** Queues a message; throws PAYLOAD_TOO_LARGE for one that no frame could carry. */
  send(message: object): boolean {
    if (!this.#socket) return false;
    const text = JSON.stringify(message);
    const error = tooLarge(text, this.maxFrameBytes);
    if (error) throw error;
    this.#push(text);
    return true;
  }

  /**
   * Queues a message to be encoded with its frame, in one JSON.stringify for the whole frame
   * instead of one per message; one too large for any frame goes to `onRefused` then.
   */
  queue(message: object): boolean {
    if (!this.#socket) return false;
    this.#unencoded++;
    this.#push(message);
    return true;
  }

  #push(item: string | object): void {
    this.#queue.push(item);
    // A full batch leaves at once, so the server works on it while the caller keeps going.
    if (this.#queue.length >= this.#frameCap) {
      this.#flush();
      this.#frameCap = Math.min(MAX_BULK_MESSAGES_PER_FRAME, this.#frameCap * 2);
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushLater);
    }
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.#flush();
    this.#frameCap = MAX_MESSAGES_PER_FRAME;
  };

  #clear(): void {
    this.#queue = [];
    this.#unencoded = 0;
  }

  #flush(): void {
    const queue = this.#queue;
    const unencoded = this.#unencoded;
    this.#clear();
    const socket = this.#socket;
    if (!socket || queue.length === 0) return;
    if (unencoded === queue.length) {
      const frame = JSON.stringify(queue.length === 1 ? queue[0] : queue);
      if (!tooLarge(frame, this.maxFrameBytes)) {
        socket.send(frame);
        return;
      }
    }
    this.#sendSplit(socket, queue);
  }

  /** Encodes each message on its own and packs them into frames that fit maxFrameBytes. */
  #sendSplit(socket: TransportSocket, queue: Array<string | object>): void {
    // Characters that surely fit in maxFrameBytes of UTF-8; a bigger message goes alone.
    const budget = Math.floor(this.maxFrameBytes / 3);
    let batch: string[] = [];
    let size = 2;
    for (const item of queue) {
      let text: string;
      if (typeof item === 'string') {
        text = item;
      } else {
        text = JSON.stringify(item);
        const error = tooLarge(text, this.maxFrameBytes);
        if (error) {
          this.onRefused(item, error);
          continue;
        }
      }
      if (batch.length === this.#frameCap || (batch.length > 0 && size + text.length > budget)) {
        socket.send(frameOf(batch));
        batch = [];
        size = 2;
      }
      batch.push(text);
      size += text.length + 1;
    }
    if (batch.length > 0) socket.send(frameOf(batch));
  }
}

function frameOf(batch: string[]): string {
  return batch.length === 1 ? batch[0] : `[${batch.join(',')}]`;
}
