import { StatewireError } from '../../errors/StatewireError.js';
import type { ClientMessage, ClientMessageType } from '../../protocol/frames.js';
import { parseClientMessage } from '../../protocol/validate.js';
import type { BrokerCore } from '../core.js';

/** One HTTP call, signed in. */
export interface Call {
  core: BrokerCore;
  uid: string;
  /** Aborted when the client goes away before it has its answer. */
  signal: AbortSignal;
}

/** The JSON body of a POST, or the query parameters of a GET (all strings). */
export type CallInput = Record<string, unknown>;

export interface Endpoint {
  method: 'GET' | 'POST';
  /** Checks the input (BAD_REQUEST) and returns the JSON answer. */
  answer(call: Call, input: CallInput): Promise<unknown>;
}

export function endpoint<M>(
  method: Endpoint['method'],
  parse: (input: CallInput, maxDepth: number) => M,
  run: (call: Call, message: M) => Promise<unknown>,
): Endpoint {
  return {
    method,
    answer: async (call, input) => run(call, parse(input, call.core.options.maxDepth)),
  };
}

/**
 * Checks an HTTP input as the equivalent socket message, so both paths accept the same
 * fields (`type` and `id` are set here, whatever the input says).
 */
export function asMessage<T extends ClientMessageType>(
  type: T,
  input: CallInput,
  maxDepth?: number,
): Extract<ClientMessage, { type: T }> {
  const message = parseClientMessage({ ...input, type, id: 0 }, maxDepth);
  return message as Extract<ClientMessage, { type: T }>;
}

/** A query parameter that should be a non-negative integer; anything else fails validation. */
export function integerParam(value: unknown): unknown {
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
}

export function badRequest(message: string): StatewireError {
  return new StatewireError('BAD_REQUEST', message);
}
