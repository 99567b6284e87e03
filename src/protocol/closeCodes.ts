/** WebSocket close codes statewire uses; the close reason carries the error code or a short text. */
export const CLOSE = {
  NORMAL: 1000,
  /** Server is shutting down (preceded by a `bye` frame). */
  GOING_AWAY: 1001,
  /** Binary frame, bad handshake, unsupported protocol version. */
  PROTOCOL_ERROR: 1002,
  /** Auth refused, origin refused, flooding, token grace period over. Reason = error code. */
  POLICY_VIOLATION: 1008,
  /** Frame larger than `maxPayload`. */
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** Slow consumer: the outgoing buffer passed its cap. */
  TRY_AGAIN_LATER: 1013,
} as const;
