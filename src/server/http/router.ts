import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../errors/codes.js';
import { toWireError } from '../wire.js';

/** Answers the request and returns true, or returns false to let the next route try. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DISCONNECTED: 503,
  TIMEOUT: 504,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** Answers `{error: {code, message}}` with the status of the error's code. */
export function sendError(
  res: ServerResponse,
  error: unknown,
  headers: Record<string, string> = {},
): void {
  const wire = toWireError(error);
  sendJson(res, httpStatusOf(wire.code), { error: wire }, headers);
}

/**
 * Plain HTTP on the server's port: routes are tried in the order they were added; nothing
 * matching → 404 with a wire-style error body.
 */
export class HttpRouter {
  private readonly routes: HttpRoute[] = [];

  constructor(private readonly onError: (error: unknown, where: string) => void) {}

  use(route: HttpRoute): () => void {
    this.routes.push(route);
    return () => {
      const at = this.routes.indexOf(route);
      if (at >= 0) this.routes.splice(at, 1);
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      for (const route of this.routes) {
        if (await route(req, res)) return;
      }
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
    } catch (error) {
      const { code } = toWireError(error);
      if (code === 'INTERNAL') this.onError(error, `http ${req.method} ${req.url}`);
      if (!res.headersSent) sendError(res, error);
      else res.destroy();
    }
  }
}
