import { expect } from 'vitest';
import type { Server } from '../../src/server/index.js';

export interface HttpAnswer {
  status: number;
  body: any;
  headers: Headers;
}

export interface CallOptions {
  method?: string;
  /** JSON-encoded unless a string (sent as is) or a stream. */
  body?: unknown;
  uid?: string;
  token?: string;
  headers?: Record<string, string>;
}

/** One HTTP call to the server; the answer body parsed as JSON when there is one. */
export async function call(
  server: Server,
  path: string,
  options: CallOptions = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.uid !== undefined) headers['x-statewire-uid'] = options.uid;
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: BodyInit | undefined;
  if (typeof options.body === 'string' || options.body instanceof ReadableStream) {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const init: RequestInit & { duplex?: 'half' } = { method, headers, body };
  if (body instanceof ReadableStream) init.duplex = 'half';
  const res = await fetch(`${server.httpUrl}${path}`, init);
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: res.headers,
  };
}

/** Expects an error answer with this status and code. */
export function errorOf(status: number, code: string) {
  return { status, body: { error: { code, message: expect.any(String) } } };
}
