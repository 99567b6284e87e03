import { afterEach, describe, expect, it } from 'vitest';
import { StatewireError } from '../../src/errors/StatewireError.js';
import type { HandlerContext } from '../../src/server/index.js';
import { closeServers, signIn, startServer } from './helpers.js';

afterEach(closeServers);

describe('server.on: send and request', () => {
  it('replies to a request with the handler result, sync or async, with uid and room in ctx', async () => {
    const server = await startServer();
    const seen: HandlerContext[] = [];
    server.on('add', (content, ctx) => {
      seen.push(ctx);
      const { a, b } = content as { a: number; b: number };
      return a + b;
    });
    server.on('later', async (content) => ({ echoed: content }));
    const alice = await signIn(server.url, 'alice');
    expect(
      await alice.call({ type: 'req', event: 'add', content: { a: 2, b: 3 }, room: 'math' }),
    ).toBe(5);
    expect(await alice.call({ type: 'req', event: 'later', content: [1] })).toEqual({
      echoed: [1],
    });
    expect(seen).toEqual([
      { uid: 'alice', room: 'math', event: 'add', session: expect.any(String) },
    ]);
  });

  it("falls back to '*' for requests and calls '*' for every send", async () => {
    const server = await startServer();
    const sends: string[] = [];
    server.on('*', (_content, ctx) => {
      sends.push(`*:${ctx.event}`);
      return `any:${ctx.event}`;
    });
    server.on('hit', () => {
      sends.push('hit');
      return 'specific';
    });
    const alice = await signIn(server.url, 'alice');
    expect(await alice.call({ type: 'req', event: 'hit', content: null })).toBe('specific');
    expect(await alice.call({ type: 'req', event: 'other', content: null })).toBe('any:other');
    sends.length = 0;
    alice.send({ type: 'send', event: 'hit', content: 1 });
    alice.send({ type: 'send', event: 'zzz', content: 2 });
    await alice.call({ type: 'presence', room: 'sync-point' });
    expect(sends).toEqual(['hit', '*:hit', '*:zzz']);
  });

  it('answers NOT_FOUND without a handler, keeps thrown codes, hides other errors as INTERNAL', async () => {
    const reported: unknown[] = [];
    const server = await startServer({ onError: (error) => reported.push(error) });
    server.on('denied', () => {
      throw new StatewireError('FORBIDDEN', 'not you');
    });
    server.on('broken', () => {
      throw new Error('secret detail');
    });
    server.on('rejects', () => Promise.reject(new Error('async detail')));
    server.on('bigint', () => 10n);
    const alice = await signIn(server.url, 'alice');
    const errorOf = async (event: string) =>
      (await alice.request({ type: 'req', event, content: null })).error;
    expect(await errorOf('missing')).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf('denied')).toEqual({ code: 'FORBIDDEN', message: 'not you' });
    expect(await errorOf('broken')).toEqual({ code: 'INTERNAL', message: 'handler failed' });
    expect(await errorOf('rejects')).toMatchObject({ code: 'INTERNAL' });
    expect(await errorOf('bigint')).toMatchObject({ code: 'INTERNAL' });
    expect(reported).toHaveLength(3);
    alice.send({ type: 'send', event: 'broken', content: null });
    alice.send({ type: 'ping', id: 'still-here' });
    expect(await alice.next('pong')).toEqual({ type: 'pong', id: 'still-here' });
  });

  it('a handler answering undefined gives a res without data', async () => {
    const server = await startServer();
    server.on('nothing', () => undefined);
    const alice = await signIn(server.url, 'alice');
    const res = await alice.request({ type: 'req', event: 'nothing', content: null });
    expect(res).toEqual({ type: 'res', id: res.id });
  });

  it('off() removes a handler', async () => {
    const server = await startServer();
    const off = server.on('temp', () => 'here');
    const alice = await signIn(server.url, 'alice');
    expect(await alice.call({ type: 'req', event: 'temp', content: null })).toBe('here');
    off();
    expect((await alice.request({ type: 'req', event: 'temp', content: null })).error.code).toBe(
      'NOT_FOUND',
    );
  });
});
