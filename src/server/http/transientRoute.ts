import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatewireError } from '../../errors/StatewireError.js';
import type { BrokerCore } from '../core.js';
import { toWireError } from '../wire.js';
import { readJsonBody } from './body.js';
import { identify } from './caller.js';
import { CallerLimits } from './callerLimits.js';
import { corsHeaders, type Headers, preflightHeaders } from './cors.js';
import { badRequest, type CallInput, type Endpoint } from './endpoint.js';
import { type HttpRoute, httpStatusOf, sendError, sendJson } from './router.js';

const PREFIX = '/v1/';

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

async function readObject(req: IncomingMessage, limit: number): Promise<CallInput> {
  const body = await readJsonBody(req, limit);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('body must be a JSON object');
  }
  return body as CallInput;
}

function splitUrl(url: string): { path: string; query: string } {
  const at = url.indexOf('?');
  return at < 0 ? { path: url, query: '' } : { path: url.slice(0, at), query: url.slice(at + 1) };
}

function readQuery(query: string): CallInput {
  const input: CallInput = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (!Object.hasOwn(input, key)) input[key] = value;
  }
  return input;
}

/** Aborts once the response is closed before it was finished (the client went away). */
function abortedWith(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (req.socket.destroyed) controller.abort();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * The transient-use endpoints under `/v1/`: each call is signed in on its own (bearer token
 * or stated uid), rate limited per caller, and answered with JSON, errors as
 * `{error: {code, message}}`. Other paths are left to the next route.
 */
export function transientRoute(
  core: BrokerCore,
  endpoints: Readonly<Record<string, Endpoint>>,
): HttpRoute {
  const { options } = core;
  const limits = options.rateLimit ? new CallerLimits(options.rateLimit) : null;

  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown, headers: Headers) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const wire = toWireError(error);
    if (wire.code === 'INTERNAL') core.reportError(error, `http ${req.method} ${req.url}`);
    const extra: Headers = { ...headers };
    // An unread body (refused early, or too large) goes with the socket instead of being read.
    if (hasBody(req) && !req.readableEnded) extra.connection = 'close';
    if (httpStatusOf(wire.code) === 401) extra['www-authenticate'] = 'Bearer';
    sendError(res, error, extra);
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, headers: Headers) => {
    const { path, query } = splitUrl(req.url ?? '/');
    const name = path.slice(PREFIX.length);
    const endpoint = Object.hasOwn(endpoints, name) ? endpoints[name] : undefined;
    if (!endpoint) throw new StatewireError('NOT_FOUND', `no such endpoint ${path}`);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, preflightHeaders(headers, [endpoint.method]));
      res.end();
      return;
    }
    if (req.method !== endpoint.method) {
      const error = badRequest(`use ${endpoint.method} for ${path}`).toWire();
      sendJson(res, 405, { error }, { ...headers, allow: `${endpoint.method}, OPTIONS` });
      return;
    }
    const { uid, limitKey } = await identify(core, req);
    if (limits && !limits.take(limitKey)) {
      throw new StatewireError('RATE_LIMITED', 'too many requests');
    }
    const input =
      endpoint.method === 'GET' ? readQuery(query) : await readObject(req, options.maxPayload);
    const data = await endpoint.answer({ core, uid, signal: abortedWith(req, res) }, input);
    sendJson(res, 200, data ?? {}, headers);
  };

  return async (req, res) => {
    if (!req.url?.startsWith(PREFIX)) return false;
    const cors = corsHeaders(req, options.allowedOrigins);
    const headers: Headers = { 'cache-control': 'no-store', ...cors };
    try {
      if (!cors) throw new StatewireError('FORBIDDEN', 'origin not allowed');
      await answer(req, res, headers);
    } catch (error) {
      fail(req, res, error, headers);
    }
    return true;
  };
}
