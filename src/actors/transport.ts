/** Callbacks a transport calls for one connection; nothing follows `close`. */
export interface TransportHandlers {
  open(): void;
  message(text: string): void;
  /** Also reports failures to connect (code 1006, the error text as reason). */
  close(code: number, reason: string): void;
}

export interface TransportSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** What the client needs from a socket: text frames in both directions and a close code. */
export interface Transport {
  connect(url: string, handlers: TransportHandlers): TransportSocket;
}

/** Close code for a connection that ended without a close frame (refused, reset). */
export const ABNORMAL_CLOSURE = 1006;
