/** Every error code statewire puts on the wire or throws (SPEC §8). */
export const ERROR_CODES = [
  'TIMEOUT',
  'DISCONNECTED',
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'NOT_FOUND',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Whether retrying the same call later can succeed. */
export const RECOVERABLE: Record<ErrorCode, boolean> = {
  TIMEOUT: true,
  DISCONNECTED: true,
  UNAUTHORIZED: false,
  TOKEN_EXPIRED: true,
  FORBIDDEN: false,
  BAD_REQUEST: false,
  PAYLOAD_TOO_LARGE: false,
  RATE_LIMITED: true,
  NOT_FOUND: false,
  UNAVAILABLE: true,
  INTERNAL: false,
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
