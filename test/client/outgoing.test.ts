import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pubHead } from '../../src/client/outgoing.js';
import type { Json } from '../../src/protocol/frames.js';

describe('pubHead', () => {
  it('writes a pub as JSON.stringify does but for its closing brace, for any room, event, content and mid', () => {
    const text = fc.string({ unit: 'binary' });
    fc.assert(
      fc.property(
        fc.record(
          {
            room: fc.oneof(fc.constant('bench'), text),
            event: fc.oneof(fc.constant('tick'), text),
            content: fc.oneof(fc.jsonValue(), fc.constant(undefined)),
            mid: text,
          },
          { requiredKeys: ['room', 'event'] },
        ),
        ({ room, event, content, mid }) => {
          const message = { type: 'pub' as const, room, event, content: content as Json, mid };
          expect(`${pubHead(message)}}`).toBe(JSON.stringify(message));
        },
      ),
    );
  });
});
