import { afterEach, describe, expect, it } from 'vitest';
import { memoryEngine } from '../../src/engines/memory/index.js';
import { closeServers, roundTrip, signIn, startServer, subscribe } from './helpers.js';
import { call, errorOf } from './httpHelpers.js';

afterEach(closeServers);

/** `[[[…]]]` nested `depth` levels, as frame text (JSON.stringify of such a value overflows). */
const deepText = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('hostile input (issue 9 regressions)', () => {
  it('a qpub with data nested 100,000 deep is BAD_REQUEST, never enqueued, and the worker gets the next job', async () => {
    const server = await startServer();
    const worker = await signIn(server.url, 'worker');
    await worker.call({ type: 'qreg', queue: 'jobs' });
    const attacker = await signIn(server.url, 'attacker');
    attacker.send(`{"type":"qpub","id":1,"queue":"jobs","data":${deepText(100_000)}}`);
    const refused = await attacker.next('res', (f) => f.id === 1);
    expect(refused.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'qpub: field "data" is nested deeper than 64 levels',
    });
    expect(await server.engine.queues.describe('jobs')).toMatchObject({ length: 0 });
    await attacker.call({ type: 'qpub', queue: 'jobs', data: { job: 2 } });
    const job = await worker.next('qmsg');
    expect(job).toMatchObject({ queue: 'jobs', data: { job: 2 }, attempt: 1 });
    expect(worker.pending('qmsg')).toEqual([]);
  });

  it('a pub nested 5,000 deep is refused: no offset is used, members and history stay whole', async () => {
    const server = await startServer();
    const member = await signIn(server.url, 'member');
    const publisher = await signIn(server.url, 'publisher');
    await subscribe(member, 'room');
    await subscribe(publisher, 'room');
    publisher.send(`{"type":"pub","id":7,"room":"room","event":"e","content":${deepText(5000)}}`);
    const refused = await publisher.next('res', (f) => f.id === 7);
    expect(refused.error).toMatchObject({ code: 'BAD_REQUEST' });
    const ack = await publisher.call({ type: 'pub', room: 'room', event: 'e', content: 'fine' });
    expect(ack.offset).toBe(1);
    expect(await member.next('msg')).toMatchObject({ offset: 1, content: 'fine' });
    const page = await member.call({ type: 'hist', room: 'room' });
    expect(page.messages.map((m: { offset: number }) => m.offset)).toEqual([1]);
    const late = await signIn(server.url, 'late');
    const since = { epoch: ack.epoch, offset: 0 };
    expect(await late.call({ type: 'sub', room: 'room', since })).toMatchObject({
      recovered: true,
      missed: 1,
    });
  });

  it('content at exactly maxDepth passes, one level more does not; the option moves the limit', async () => {
    const server = await startServer({ maxDepth: 3 });
    const client = await signIn(server.url, 'alice');
    await subscribe(client, 'r');
    const ok = await client.request({ type: 'pub', room: 'r', event: 'e', content: [[[1]]] });
    expect(ok.data).toMatchObject({ offset: 1 });
    const deep = await client.request({ type: 'pub', room: 'r', event: 'e', content: [[[[1]]]] });
    expect(deep.error).toMatchObject({ code: 'BAD_REQUEST' });
    const req = await client.request({ type: 'req', event: 'x', content: { a: { b: { c: {} } } } });
    expect(req.error).toMatchObject({ code: 'BAD_REQUEST' });
    await expect(server.publish('r', 'e', [[[[1]]]])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('over HTTP: a deep publish is 400 and history keeps answering 200', async () => {
    const server = await startServer();
    const body = `{"room":"news","event":"e","content":${deepText(5000)}}`;
    const refused = await call(server, '/v1/publish', {
      uid: 'writer',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(refused).toMatchObject(errorOf(400, 'BAD_REQUEST'));
    const queued = await call(server, '/v1/queue', {
      uid: 'writer',
      body: `{"queue":"jobs","data":${deepText(100)}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(queued).toMatchObject(errorOf(400, 'BAD_REQUEST'));
    const fine = await call(server, '/v1/publish', {
      uid: 'writer',
      body: { room: 'news', event: 'e', content: 1 },
    });
    expect(fine.body).toMatchObject({ offset: 1 });
    const history = await call(server, '/v1/history?room=news', { uid: 'reader' });
    expect(history.status).toBe(200);
    expect(history.body.messages).toHaveLength(1);
  });

  it('a deeply nested or non-string type is BAD_REQUEST, not INTERNAL', async () => {
    const server = await startServer();
    const client = await signIn(server.url, 'alice');
    client.send(`{"type":${deepText(100_000)},"id":1}`);
    expect(await client.next('res', (f) => f.id === 1)).toMatchObject({
      error: { code: 'BAD_REQUEST', message: 'unknown message type of kind object' },
    });
    client.send({ type: 'x'.repeat(5000), id: 2 });
    const long = await client.next('res', (f) => f.id === 2);
    expect(long.error.code).toBe('BAD_REQUEST');
    expect(long.error.message.length).toBeLessThan(120);
    await roundTrip(client);
  });

  it('subscriptions per connection are capped by maxSubscriptions (the uid room aside)', async () => {
    const server = await startServer({ maxSubscriptions: 2 });
    const client = await signIn(server.url, 'alice');
    await subscribe(client, 'a');
    await subscribe(client, 'b');
    expect((await client.request({ type: 'sub', room: 'c' })).error).toMatchObject({
      code: 'FORBIDDEN',
      message: 'at most 2 subscriptions per connection',
    });
    await subscribe(client, 'a');
    await client.call({ type: 'unsub', room: 'b' });
    await subscribe(client, 'c');
  });

  it('history is bounded in bytes per room and server-wide; a trimmed gap recovers false', async () => {
    const engine = memoryEngine({
      history: { maxBytes: 1024 * 1024, maxTotalBytes: 2 * 1024 * 1024 },
    });
    const server = await startServer({ engine });
    const client = await signIn(server.url, 'hoarder');
    const rooms = ['hoarder', 'a', 'b'];
    for (const room of rooms.slice(1)) await subscribe(client, room);
    const big = 'x'.repeat(400 * 1024);
    let first: { epoch: string; offset: number } | undefined;
    for (let i = 0; i < 30; i++) {
      const room = rooms[i % 3];
      const ack = await client.call({ type: 'pub', room, event: 'e', content: big });
      if (room === 'a') first ??= { epoch: ack.epoch, offset: ack.offset - 1 };
    }
    await client.close();
    expect(engine.historyBytes()).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(engine.historyBytes()).toBeGreaterThan(1024 * 1024);
    const page = await engine.history('a', {});
    expect(page.messages.length).toBeLessThanOrEqual(2);
    const reader = await signIn(server.url, 'reader');
    const answer = await reader.call({ type: 'sub', room: 'a', since: first });
    expect(answer).toMatchObject({ recovered: false });
  });
});
