import { type ErrorCode, isErrorCode } from '../errors/codes.js';
import { StatewireError } from '../errors/StatewireError.js';

/** The part of `fetch` the client uses; injectable (ClientOptions.fetch). */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpExchange {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** What one HTTP attempt came to. */
export type HttpOutcome =
  | { kind: 'answered'; data: unknown }
  /** The server answered with an error status. */
  | { kind: 'refused'; status: number; error: StatewireError }
  /** No complete answer: refused connection, dropped connection, DNS failure. */
  | { kind: 'unreachable'; error: StatewireError }
  /** The signal was aborted (timeout or stop, the caller knows which). */
  | { kind: 'aborted' };

const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'BAD_REQUEST',
  408: 'TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};

function codeOfStatus(status: number): ErrorCode {
  return CODE_OF_STATUS[status] ?? (status >= 400 && status < 500 ? 'BAD_REQUEST' : 'INTERNAL');
}

/** `{error: {code, message}}` maps one to one; any other body (a proxy's page) by status. */
export function errorOfAnswer(status: number, text: string): StatewireError {
  let wire: { code?: unknown; message?: unknown } | undefined;
  try {
    wire = (JSON.parse(text) as { error?: typeof wire } | null)?.error;
  } catch {
    wire = undefined;
  }
  if (wire && isErrorCode(wire.code)) {
    return new StatewireError(
      wire.code,
      typeof wire.message === 'string' ? wire.message : wire.code,
    );
  }
  return new StatewireError(codeOfStatus(status), `HTTP ${status}`);
}

function whenAborted(signal: AbortSignal): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve({ kind: 'aborted' });
    else signal.addEventListener('abort', () => resolve({ kind: 'aborted' }), { once: true });
  });
}

async function attempt(fetchFn: FetchFunction, request: HttpExchange): Promise<HttpOutcome> {
  const { method, url, headers, body, signal } = request;
  let status: number;
  let text: string;
  try {
    const response = await fetchFn(url, { method, headers, body, signal });
    status = response.status;
    text = await response.text();
  } catch (error) {
    if (signal.aborted) return { kind: 'aborted' };
    const reason = (error as Error)?.message ?? String(error);
    return {
      kind: 'unreachable',
      error: new StatewireError('UNAVAILABLE', `cannot reach ${url}: ${reason}`, { cause: error }),
    };
  }
  if (status < 200 || status > 299) {
    return { kind: 'refused', status, error: errorOfAnswer(status, text) };
  }
  try {
    return { kind: 'answered', data: text === '' ? undefined : JSON.parse(text) };
  } catch {
    return {
      kind: 'refused',
      status,
      error: new StatewireError('INTERNAL', `answer from ${url} is not JSON`),
    };
  }
}

/**
 * One HTTP exchange with JSON in and out. Never throws; settles as `aborted` as soon as the
 * signal fires, also with a `fetch` that ignores signals.
 */
export function exchange(fetchFn: FetchFunction, request: HttpExchange): Promise<HttpOutcome> {
  return Promise.race([attempt(fetchFn, request), whenAborted(request.signal)]);
}
