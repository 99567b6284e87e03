/** `ws.send` options for a text frame given as bytes. */
export const TEXT = { binary: false } as const;

/**
 * The bytes of the frame sent last, for the next socket that sends the same text: a room's
 * members mostly get the same frame in a turn (`EncodedMessage.runItem`), so it is encoded once
 * and shared instead of once per member. A text sent once goes as it is.
 */
export class SharedFrames {
  #text = '';
  #bytes: Buffer | null = null;

  of(text: string): string | Buffer {
    if (text !== this.#text) {
      this.#text = text;
      this.#bytes = null;
      return text;
    }
    this.#bytes ??= Buffer.from(text);
    return this.#bytes;
  }
}
