import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createServer, type Server } from '../../src/server/index.js';
import {
  type HttpStep,
  httpBlocks,
  masked,
  substitute,
  type WireStep,
  wireBlocks,
} from './docExamples.js';

/*
 * Keeps docs/protocol.md true: every `wire` block is replayed frame by frame over a real
 * WebSocket against the real server on port 0, and every `wire-http` block over HTTP. A block
 * that no longer matches what the server does fails here with the frame it got instead.
 */

const DOC = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const WIRE = wireBlocks(DOC);
const HTTP = httpBlocks(DOC);
const WAIT_MS = 3000;

let server: Server;

beforeAll(async () => {
  server = createServer({ port: 0 });
  // The one handler the examples call (§7).
  server.on('add', (content) => {
    const { a, b } = content as { a: number; b: number };
    return a + b;
  });
  await server.start();
});

afterAll(() => server?.close());

/** A socket whose incoming messages (batches flattened) and close are awaited one by one. */
function open(url: string) {
  const socket = new WebSocket(url);
  const inbox: unknown[] = [];
  let closed: { code: number; reason: string } | undefined;
  let wake: (() => void) | undefined;
  socket.on('message', (data) => {
    const parsed = JSON.parse(String(data));
    inbox.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    wake?.();
  });
  socket.on('close', (code, reason) => {
    closed = { code, reason: String(reason) };
    wake?.();
  });
  const until = async <T>(take: () => T | undefined, what: string): Promise<T> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`waited ${WAIT_MS} ms for ${what}; closed: ${JSON.stringify(closed)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  return {
    opened: new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    }),
    send: (text: string) => socket.send(text),
    next: (what: string) => until(() => inbox.shift(), what),
    close: () => until(() => closed, 'the close'),
    end: () => socket.close(),
    /** Messages that arrived and no step expected. */
    rest: () => inbox,
  };
}

async function replayWire(steps: WireStep[]): Promise<void> {
  const socket = open(server.url);
  await socket.opened;
  const vars = new Map<string, unknown>();
  try {
    for (const step of steps) {
      if (step.kind === 'send') {
        socket.send(substitute(step.text, vars));
      } else if (step.kind === 'expect') {
        for (const expected of step.messages) {
          const actual = await socket.next(JSON.stringify(expected));
          expect(masked(expected, actual, vars)).toEqual(expected);
        }
      } else {
        expect(await socket.close()).toEqual({ code: step.code, reason: step.reason });
      }
    }
  } finally {
    socket.end();
  }
}

async function replayHttp(steps: HttpStep[]): Promise<void> {
  let response: Response | undefined;
  for (const step of steps) {
    if (step.kind === 'request') {
      response = await fetch(`${server.httpUrl}${step.path}`, {
        method: step.method,
        headers: step.body === undefined ? {} : { 'content-type': 'application/json' },
        body: step.body,
      });
    } else if (step.kind === 'status') {
      expect(response?.status).toBe(step.status);
      const text = await response?.text();
      if (step.body !== undefined) {
        const actual = JSON.parse(text ?? '');
        expect(masked(step.body, actual, new Map())).toEqual(step.body);
      }
    } else {
      expect(response?.headers.get(step.name)).toBe(step.value);
    }
  }
}

describe('docs/protocol.md examples, replayed against the server', () => {
  it('has examples to replay', () => {
    expect(WIRE.length).toBeGreaterThan(10);
    expect(HTTP.length).toBeGreaterThan(0);
  });

  for (const block of WIRE) {
    it(`${block.heading} (docs/protocol.md:${block.line})`, () => replayWire(block.steps));
  }

  for (const block of HTTP) {
    it(`${block.heading} (docs/protocol.md:${block.line}, HTTP)`, () => replayHttp(block.steps));
  }
});
