import type { IncomingMessage } from 'node:http';

export type Headers = Record<string, string>;

/** Headers a browser may send on a transient call (anything else fails its preflight). */
const ALLOWED_HEADERS = 'authorization, content-type, x-statewire-uid';

/**
 * The CORS answer for a request's `Origin`: the headers to add, or null when the origin is
 * not allowed. Without `Origin` (not a browser) nothing is checked or added. Without an
 * allowlist every origin passes, as it does for the WebSocket upgrade. Credentials are
 * never allowed: transient calls authenticate with a bearer token, not cookies.
 */
export function corsHeaders(
  req: IncomingMessage,
  allowedOrigins: ReadonlySet<string> | null,
): Headers | null {
  const origin = req.headers.origin;
  if (origin === undefined) return { vary: 'origin' };
  if (allowedOrigins && !allowedOrigins.has(origin)) return null;
  return { 'access-control-allow-origin': origin, vary: 'origin' };
}

/** The answer to an OPTIONS preflight for an allowed origin. */
export function preflightHeaders(cors: Headers, methods: readonly string[]): Headers {
  return {
    ...cors,
    'access-control-allow-methods': methods.join(', '),
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': '600',
  };
}
