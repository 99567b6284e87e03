import { nanoid } from 'nanoid';
import { StatewireError } from '../../errors/StatewireError.js';
import type { Json } from '../../protocol/frames.js';
import type { Clock } from '../options.js';
import { asMessage, badRequest, type CallInput, type Endpoint, endpoint } from './endpoint.js';

/** An rpc waits this long for its reply unless the call says otherwise. */
export const DEFAULT_RPC_TIMEOUT_MS = 30_000;
/** Longest wait a call may ask for: an HTTP request should not be held open for ever. */
export const MAX_RPC_TIMEOUT_MS = 300_000;

function rpcMessage(body: CallInput, maxDepth: number) {
  const { queue, data } = asMessage('qpub', { queue: body.queue, data: body.data }, maxDepth);
  const timeoutMs = body.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || (timeoutMs as number) <= 0) {
    throw badRequest('rpc: field "timeoutMs" must be a positive integer');
  }
  if ((timeoutMs as number) > MAX_RPC_TIMEOUT_MS) {
    throw badRequest(`rpc: field "timeoutMs" must be at most ${MAX_RPC_TIMEOUT_MS}`);
  }
  return { queue, data, timeoutMs: timeoutMs as number };
}

/**
 * Settles with `reply`, or TIMEOUT once `timeoutMs` passed, or DISCONNECTED when the caller
 * goes away; the timer is cleared whichever comes first.
 */
function replyWithin<T>(
  reply: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal,
  clock: Clock,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const settle = (finish: () => void) => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      finish();
    };
    const timer = clock.setTimeout(
      () => settle(() => reject(new StatewireError('TIMEOUT', `no reply within ${timeoutMs} ms`))),
      timeoutMs,
    );
    const onAbort = () =>
      settle(() => reject(new StatewireError('DISCONNECTED', 'the caller went away')));
    signal.addEventListener('abort', onAbort, { once: true });
    reply.then((value) => settle(() => resolve(value)));
  });
}

/**
 * Queues over HTTP with the same rules as `qpub`. An rpc holds the call open: the server
 * consumes a temporary reply queue for the caller, enqueues with `replyTo` and a fresh
 * `correlationId`, and answers with the first reply that carries it. The request expires
 * with the wait, so a consumer that comes later does not work for nobody.
 */
export const queueEndpoints: Record<string, Endpoint> = {
  queue: endpoint(
    'POST',
    (body, maxDepth) => asMessage('qpub', body, maxDepth),
    ({ core, uid }, { queue, data, replyTo, correlationId, expiresInMs, mid }) =>
      core.enqueue(uid, queue, { data, replyTo, correlationId, expiresInMs, mid }),
  ),

  rpc: endpoint('POST', rpcMessage, async ({ core, uid, signal }, { queue, data, timeoutMs }) => {
    const correlationId = nanoid();
    let answer!: (data: Json) => void;
    const reply = new Promise<Json>((resolve) => {
      answer = resolve;
    });
    const replies = await core.consumeTemp(uid, (delivery) => {
      if (delivery.correlationId === correlationId) answer(delivery.data);
    });
    try {
      if (signal.aborted) throw new StatewireError('DISCONNECTED', 'the caller went away');
      const request = { data, replyTo: replies.queue, correlationId, expiresInMs: timeoutMs };
      await core.enqueue(uid, queue, request);
      return { data: await replyWithin(reply, timeoutMs, signal, core.options.clock) };
    } finally {
      await replies.stop().catch((error) => core.reportError(error, `rpc reply queue ${queue}`));
    }
  }),
};
