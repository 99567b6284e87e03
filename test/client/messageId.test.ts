import { describe, expect, it } from 'vitest';
import { messageId } from '../../src/client/messageId.js';

describe('messageId', () => {
  it('gives 21 URL-safe characters, none repeated over several pool refills', () => {
    const ids = Array.from({ length: 1000 }, messageId);
    for (const id of ids) expect(id).toMatch(/^[\w-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses the whole alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, messageId).join(''));
    expect(seen.size).toBe(64);
  });
});
