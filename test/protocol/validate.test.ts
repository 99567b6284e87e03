import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatewireError } from '../../src/errors/StatewireError.js';
import { decodeFrame, encodeFrame } from '../../src/protocol/codec.js';
import {
  parseByShape,
  parseClientMessage,
  requestIdOf,
  shapeFields,
} from '../../src/protocol/validate.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StatewireError ? error.code : 'not a StatewireError';
  }
  return undefined;
}

describe('codec', () => {
  it('round-trips one message and a batch', () => {
    expect(decodeFrame(encodeFrame({ type: 'ping', id: 1 }))).toEqual([{ type: 'ping', id: 1 }]);
    const batch = [
      { type: 'ping', id: 1 },
      { type: 'ping', id: 2 },
    ];
    expect(decodeFrame(encodeFrame(batch))).toEqual(batch);
  });

  it('rejects malformed JSON and empty batches with BAD_REQUEST', () => {
    expect(codeOf(() => decodeFrame('{nope'))).toBe('BAD_REQUEST');
    expect(codeOf(() => decodeFrame('[]'))).toBe('BAD_REQUEST');
  });
});

describe('parseClientMessage', () => {
  it('accepts a well-formed publish', () => {
    const msg = { type: 'pub', id: 3, room: 'r', event: 'e', content: { a: 1 }, mid: 'm1' };
    expect(parseClientMessage(msg)).toBe(msg);
  });

  it.each([
    ['a non-object', 42],
    ['an unknown type', { type: 'explode' }],
    ['a missing field', { type: 'pub', id: 1, room: 'r', content: 1 }],
    ['a wrong field type', { type: 'sub', id: 1, room: 7 }],
    ['a bad position', { type: 'sub', id: 1, room: 'r', since: { epoch: 'e', offset: -1 } }],
    ['an empty room', { type: 'unsub', id: 1, room: '' }],
    ['a qack reply to an empty queue', { type: 'qack', queue: 'q', deliveryId: 'd', replyTo: '' }],
  ])('rejects %s with BAD_REQUEST', (_label, raw) => {
    expect(codeOf(() => parseClientMessage(raw))).toBe('BAD_REQUEST');
  });

  it('accepts a qack carrying a reply; a null reply is a reply', () => {
    const msg = { type: 'qack', queue: 'q', deliveryId: 'd', replyTo: 'tmp.r', reply: null };
    expect(parseClientMessage({ ...msg, correlationId: 'c' })).toMatchObject(msg);
    expect(codeOf(() => parseClientMessage({ ...msg, reply: [[[1]]] }, 2))).toBe('BAD_REQUEST');
  });

  it("the pub fast path reads every field of pub's shape (change it with the shape)", () => {
    expect(shapeFields('pub')).toEqual(['id', 'room', 'event', 'content', 'mid']);
  });

  it('answers a pub exactly as the walk of its shape does (its fields read one by one)', () => {
    const field = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom('', 'r', 'x'.repeat(1025)),
      fc.string(),
      fc.integer(),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, null, true),
      fc.jsonValue({ maxDepth: 4 }),
    );
    const answer = (check: () => unknown) => {
      try {
        return check();
      } catch (error) {
        return (error as Error).message;
      }
    };
    fc.assert(
      fc.property(
        fc.record({ type: fc.constantFrom('pub', 'sub', 3), id: field, room: field }),
        fc.record({ event: field, content: field, mid: field }),
        fc.integer({ min: 1, max: 4 }),
        (head, rest, maxDepth) => {
          const raw = { ...head, ...rest };
          expect(answer(() => parseClientMessage(raw, maxDepth))).toEqual(
            answer(() => parseByShape(raw, maxDepth)),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps the request id of a bad message so the error can answer it', () => {
    expect(requestIdOf({ type: 'pub', id: 9 })).toBe(9);
    expect(requestIdOf({ type: 'pub' })).toBeUndefined();
  });
});
