import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeadLetter, EngineDelivery } from '../../src/engines/QueueEngine.js';
import { BrokerCore } from '../../src/server/core.js';
import { memoryEngine } from '../../src/server/index.js';
import { resolveOptions } from '../../src/server/options.js';
import {
  closeServers,
  connect,
  type Frame,
  roundTrip,
  signIn,
  simulatedTime,
  startServer,
  type TestClient,
  turn,
} from './helpers.js';

afterEach(closeServers);

/** Limit for waiting on something a real timer or a closing socket brings about. */
const SETTLE_LIMIT = { timeout: 10_000 };

function register(client: TestClient, queue: string) {
  return client.request({ type: 'qreg', queue });
}

function enqueue(client: TestClient, queue: string, data: unknown, extra: object = {}) {
  return client.request({ type: 'qpub', queue, data, ...extra });
}

function nextDelivery(client: TestClient, queue: string) {
  return client.next('qmsg', (f) => f.queue === queue);
}

function ack(client: TestClient, delivery: Frame) {
  client.send({ type: 'qack', queue: delivery.queue, deliveryId: delivery.deliveryId });
}

/** Declares `queue` and leaves it without a consumer, so what is published stays in it. */
async function declare(client: TestClient, queue: string) {
  expect((await register(client, queue)).data).toEqual({ queue });
  expect((await client.request({ type: 'qunreg', queue })).data).toEqual({});
}

/**
 * alice (token auth on a simulated clock) consumes `jobs` and holds one delivery when her
 * token expires: the TOKEN_EXPIRED notice has arrived. `before` runs once she is signed in.
 */
async function deliveryThenExpiry(before?: (alice: TestClient) => Promise<void>) {
  const { clock, now } = simulatedTime();
  const server = await startServer({
    auth: { verifyToken: (token) => ({ uid: 'alice', expiresAt: now() + Number(token) }) },
    clock,
    now,
  });
  const alice = await connect(server.url, { token: '250' });
  await alice.next('welcome');
  await before?.(alice);
  await register(alice, 'jobs');
  await enqueue(alice, 'jobs', 1);
  const delivery = await nextDelivery(alice, 'jobs');
  clock.increment(250);
  expect(await alice.next('error')).toMatchObject({ code: 'TOKEN_EXPIRED' });
  return { server, alice, delivery };
}

describe('work queues over WebSocket', () => {
  it('delivers qmsg with id, attempt and maxAttempts; qreg is idempotent; qunreg hands unacked on', async () => {
    const server = await startServer();
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((uid) => signIn(server.url, uid)),
    );
    expect((await register(alice, 'jobs')).data).toEqual({ queue: 'jobs' });
    expect((await register(alice, 'jobs')).data).toEqual({ queue: 'jobs' });
    expect((await register(bob, 'jobs')).data).toEqual({ queue: 'jobs' });
    expect((await enqueue(carol, 'jobs', { n: 1 }, { mid: 'job-1' })).data).toEqual({
      id: 'job-1',
    });
    const second = await enqueue(carol, 'jobs', { n: 2 });
    expect(second.data).toEqual({ id: expect.any(String) });
    // Two consumers, not three: one message each.
    const toAlice = await nextDelivery(alice, 'jobs');
    const toBob = await nextDelivery(bob, 'jobs');
    expect(toAlice).toEqual({
      type: 'qmsg',
      queue: 'jobs',
      deliveryId: expect.any(String),
      id: 'job-1',
      data: { n: 1 },
      attempt: 1,
      maxAttempts: 5,
    });
    expect(toBob).toMatchObject({ id: second.data.id, data: { n: 2 }, attempt: 1 });
    ack(bob, toBob);
    expect((await alice.request({ type: 'qunreg', queue: 'jobs' })).data).toEqual({});
    expect(await nextDelivery(bob, 'jobs')).toMatchObject({ id: 'job-1', attempt: 2 });
  });

  it('gives a temporary queue a server name; only its owner consumes it, anyone enqueues', async () => {
    const engine = memoryEngine();
    const server = await startServer({ engine });
    const alice = await signIn(server.url, 'alice');
    const bob = await signIn(server.url, 'bob');
    const { queue } = (await register(alice, '')).data;
    expect(queue).toMatch(/^tmp\.[\w-]{21}$/);
    expect((await register(alice, '')).data.queue).not.toBe(queue);
    expect((await register(bob, queue)).error).toMatchObject({ code: 'FORBIDDEN' });
    await enqueue(bob, queue, 'hello');
    const first = await nextDelivery(alice, queue);
    expect(first).toMatchObject({ data: 'hello', attempt: 1 });

    // The owner comes back on a new connection: the queue kept what arrived meanwhile.
    alice.ws.terminate();
    await vi.waitFor(
      async () => expect((await engine.queues.describe(queue))?.consumers).toBe(0),
      SETTLE_LIMIT,
    );
    expect((await enqueue(bob, queue, 'while away')).error).toBeUndefined();
    const again = await signIn(server.url, 'alice');
    expect((await register(again, queue)).data).toEqual({ queue });
    const redelivered = await nextDelivery(again, queue);
    const kept = await nextDelivery(again, queue);
    expect([redelivered, kept]).toMatchObject([
      { data: 'hello', attempt: 2 },
      { data: 'while away', attempt: 1 },
    ]);

    // Unregistered by its owner, it is gone.
    await again.call({ type: 'qunreg', queue });
    expect((await enqueue(bob, queue, 'late')).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await register(again, queue)).error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('removes a temporary queue whose owner stays away past tempQueueGraceMs', async () => {
    const engine = memoryEngine();
    const server = await startServer({ engine, tempQueueGraceMs: 10 });
    const alice = await signIn(server.url, 'alice');
    const { queue } = (await register(alice, '')).data;
    expect(await engine.queues.describe(queue)).toMatchObject({ owner: 'alice', consumers: 1 });
    await alice.close();
    await vi.waitFor(
      async () => expect(await engine.queues.describe(queue)).toBeUndefined(),
      SETTLE_LIMIT,
    );
    const again = await signIn(server.url, 'alice');
    expect((await register(again, queue)).error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('round-trips a request and its reply through replyTo and correlationId', async () => {
    const server = await startServer();
    const worker = await signIn(server.url, 'worker');
    const caller = await signIn(server.url, 'caller');
    await register(worker, 'double');
    const { queue: inbox } = (await register(caller, '')).data;
    await enqueue(caller, 'double', 21, { replyTo: inbox, correlationId: 'c-1' });
    const job = await nextDelivery(worker, 'double');
    expect(job).toMatchObject({ data: 21, replyTo: inbox, correlationId: 'c-1' });
    ack(worker, job);
    const sent = await enqueue(worker, job.replyTo, job.data * 2, {
      correlationId: job.correlationId,
    });
    expect(sent.error).toBeUndefined();
    const reply = await nextDelivery(caller, inbox);
    expect(reply).toMatchObject({ data: 42, correlationId: 'c-1' });
    expect(reply.replyTo).toBeUndefined();
    ack(caller, reply);
  });

  it('a qack with replyTo puts the reply on that queue and settles the delivery in one step', async () => {
    const server = await startServer();
    const worker = await signIn(server.url, 'worker');
    const caller = await signIn(server.url, 'caller');
    await register(worker, 'double-in-ack');
    const { queue: inbox } = (await register(caller, '')).data;
    await enqueue(caller, 'double-in-ack', 21, { replyTo: inbox, correlationId: 'c-1' });
    const job = await nextDelivery(worker, 'double-in-ack');
    const { queue, deliveryId } = job;
    worker.send({
      type: 'qack',
      queue,
      deliveryId,
      replyTo: inbox,
      correlationId: 'c-1',
      reply: 42,
    });
    expect(await nextDelivery(caller, inbox)).toMatchObject({ data: 42, correlationId: 'c-1' });
    // Settled: acking it again is NOT_FOUND, and nothing but that answer came back.
    ack(worker, job);
    expect(await worker.next('error')).toMatchObject({ code: 'NOT_FOUND' });
    await roundTrip(worker);
    const answers = worker.log.filter((f) => f.type === 'res' || f.type === 'error');
    expect(answers.map((f) => f.type)).toEqual(['res', 'error']);
  });

  it('a quiet qpub (rpc request) is answered only when it fails', async () => {
    const server = await startServer();
    const worker = await signIn(server.url, 'worker');
    const caller = await signIn(server.url, 'caller');
    await register(worker, 'quiet-jobs');
    caller.send({ type: 'qpub', id: 'q1', queue: 'quiet-jobs', data: 1, quiet: true });
    const job = await nextDelivery(worker, 'quiet-jobs');
    expect(job).toMatchObject({ data: 1 });
    ack(worker, job);
    caller.send({ type: 'qpub', id: 'q2', queue: 'nowhere', data: 2, quiet: true });
    expect(await caller.next('res')).toMatchObject({ id: 'q2', error: { code: 'NOT_FOUND' } });
    expect((await enqueue(caller, 'quiet-jobs', 3, { quiet: 'yes' })).error).toMatchObject({
      code: 'BAD_REQUEST',
    });
    await roundTrip(caller);
    expect(caller.log.filter((f) => f.type === 'res').map((f) => f.id)).toEqual(['q2', 1]);
  });

  it('a reply refused (unknown reply queue) is an error frame naming it; the delivery is acked', async () => {
    const server = await startServer();
    const worker = await signIn(server.url, 'worker');
    const caller = await signIn(server.url, 'caller');
    await register(worker, 'refused-replies');
    await enqueue(caller, 'refused-replies', 1, { replyTo: 'tmp.gone', correlationId: 'c' });
    const job = await nextDelivery(worker, 'refused-replies');
    const { queue, deliveryId } = job;
    worker.send({ type: 'qack', queue, deliveryId, replyTo: 'tmp.gone', reply: 2 });
    expect(await worker.next('error')).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('reply to queue "tmp.gone" failed'),
    });
    ack(worker, job);
    expect(await worker.next('error')).toMatchObject({ code: 'NOT_FOUND' });
    // A reply or correlation id without replyTo is refused (and the delivery not settled).
    await enqueue(caller, 'refused-replies', 2);
    const next = await nextDelivery(worker, 'refused-replies');
    worker.send({ type: 'qack', queue: next.queue, deliveryId: next.deliveryId, reply: 3 });
    expect(await worker.next('error')).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('replyTo'),
    });
    ack(worker, next);
    await roundTrip(worker);
    expect(worker.log.filter((f) => f.type === 'error')).toHaveLength(3);
  });

  it('answers unknown queues and deliveries with NOT_FOUND and bad input with BAD_REQUEST', async () => {
    const server = await startServer();
    const alice = await signIn(server.url, 'alice');
    expect((await enqueue(alice, 'nope', 1)).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await register(alice, 'tmp.made-up')).error).toMatchObject({ code: 'NOT_FOUND' });
    alice.send({ type: 'qack', queue: 'nope', deliveryId: 'd1' });
    expect(await alice.next('error')).toMatchObject({ code: 'NOT_FOUND' });
    await register(alice, 'jobs');
    alice.send({ type: 'qnack', queue: 'jobs', deliveryId: 'd1', reason: 'x' });
    expect(await alice.next('error')).toMatchObject({ code: 'NOT_FOUND' });

    expect((await alice.request({ type: 'qpub', queue: 'jobs' })).error).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('data'),
    });
    expect((await alice.request({ type: 'qreg' })).error).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await alice.request({ type: 'qunreg', queue: '' })).error).toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(
      (await alice.request({ type: 'qpub', queue: 'jobs', data: 1, expiresInMs: -1 })).error,
    ).toMatchObject({ code: 'BAD_REQUEST' });
    alice.send({ type: 'qack', queue: 'jobs' });
    expect(await alice.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
    await roundTrip(alice);
    expect(alice.isOpen).toBe(true);
  });

  it('refuses a full queue with UNAVAILABLE; a resent mid is accepted once', async () => {
    const server = await startServer({ engine: memoryEngine({ queues: { maxLength: 2 } }) });
    const alice = await signIn(server.url, 'alice');
    await declare(alice, 'jobs');
    expect((await enqueue(alice, 'jobs', 'a', { mid: 'a' })).data).toEqual({ id: 'a' });
    expect((await enqueue(alice, 'jobs', 'a', { mid: 'a' })).data).toEqual({ id: 'a' });
    expect((await enqueue(alice, 'jobs', 'b', { mid: 'b' })).data).toEqual({ id: 'b' });
    expect((await enqueue(alice, 'jobs', 'c')).error).toMatchObject({ code: 'UNAVAILABLE' });
    await register(alice, 'jobs');
    expect((await nextDelivery(alice, 'jobs')).id).toBe('a');
    expect((await nextDelivery(alice, 'jobs')).id).toBe('b');
    await roundTrip(alice);
    expect(alice.pending('qmsg')).toEqual([]);
  });

  it('drops messages whose expiresInMs passed before a consumer took them', async () => {
    let skew = 0;
    const engine = memoryEngine({ now: () => Date.now() + skew });
    const server = await startServer({ engine });
    const alice = await signIn(server.url, 'alice');
    await declare(alice, 'jobs');
    await enqueue(alice, 'jobs', 'stale', { expiresInMs: 1000 });
    await enqueue(alice, 'jobs', 'fresh');
    await enqueue(alice, 'jobs', 'patient', { expiresInMs: 60_000 });
    skew = 5000;
    await register(alice, 'jobs');
    expect((await nextDelivery(alice, 'jobs')).data).toBe('fresh');
    expect((await nextDelivery(alice, 'jobs')).data).toBe('patient');
    await roundTrip(alice);
    expect(alice.pending('qmsg')).toEqual([]);
  });

  it('redelivers on qnack and dead-letters after maxAttempts', async () => {
    const letters: DeadLetter[] = [];
    let lettered!: () => void;
    const deadLettered = new Promise<void>((resolve) => {
      lettered = resolve;
    });
    const server = await startServer({
      engine: memoryEngine({ queues: { maxAttempts: 2 } }),
      onDeadLetter: (letter) => {
        letters.push(letter);
        lettered();
      },
    });
    const alice = await signIn(server.url, 'alice');
    await register(alice, 'jobs');
    await enqueue(alice, 'jobs', 'x', { mid: 'job-1' });
    const first = await nextDelivery(alice, 'jobs');
    expect(first).toMatchObject({ attempt: 1, maxAttempts: 2 });
    alice.send({ type: 'qnack', queue: 'jobs', deliveryId: first.deliveryId, reason: 'boom' });
    const second = await nextDelivery(alice, 'jobs');
    expect(second).toMatchObject({ id: 'job-1', attempt: 2, maxAttempts: 2 });
    expect(second.deliveryId).not.toBe(first.deliveryId);
    alice.send({ type: 'qnack', queue: 'jobs', deliveryId: second.deliveryId, reason: 'boom' });
    await deadLettered;
    expect(letters).toEqual([
      { queue: 'jobs', id: 'job-1', data: 'x', attempts: 2, reason: 'boom' },
    ]);
    await roundTrip(alice);
    expect(alice.pending('qmsg')).toEqual([]);
  });

  it('redelivers a delivery whose ack timed out', async () => {
    // Real sweep timer (every 25 ms), engine time moved by hand: exactly one timeout.
    let skew = 0;
    const engine = memoryEngine({ queues: { ackTimeoutMs: 100 }, now: () => Date.now() + skew });
    const server = await startServer({ engine });
    const alice = await signIn(server.url, 'alice');
    await register(alice, 'jobs');
    await enqueue(alice, 'jobs', 'slow');
    const first = await nextDelivery(alice, 'jobs');
    skew = 60_000;
    const again = await nextDelivery(alice, 'jobs');
    expect(again).toMatchObject({ id: first.id, attempt: 2 });
    ack(alice, again);
    // The late ack of the first delivery is answered, the connection stays.
    ack(alice, first);
    expect(await alice.next('error')).toMatchObject({ code: 'NOT_FOUND' });
    await roundTrip(alice);
    expect(alice.pending('error')).toEqual([]);
    expect(alice.pending('qmsg')).toEqual([]);
    expect(alice.isOpen).toBe(true);
  });

  it('settles deliveries while the token is expired; other queue messages wait for a refresh', async () => {
    const { server, alice, delivery } = await deliveryThenExpiry();
    expect((await enqueue(alice, 'jobs', 2)).error).toMatchObject({ code: 'TOKEN_EXPIRED' });
    ack(alice, delivery);
    await roundTrip(alice);
    expect(alice.pending('error')).toEqual([]);
    await alice.call({ type: 'token', token: '60000' });
    // A qack has no answer: on Redis its script may run after this look-up is sent.
    await vi.waitFor(
      async () => expect(await server.engine.queues.describe('jobs')).toMatchObject({ length: 0 }),
      SETTLE_LIMIT,
    );
  });

  it('a worker reply while the token is expired is refused; the delivery is still settled', async () => {
    const { server, alice, delivery } = await deliveryThenExpiry((client) =>
      declare(client, 'replies'),
    );
    alice.send({
      type: 'qack',
      queue: 'jobs',
      deliveryId: delivery.deliveryId,
      replyTo: 'replies',
      correlationId: 'c1',
      reply: 'r',
    });
    expect(await alice.next('error')).toMatchObject({
      code: 'TOKEN_EXPIRED',
      message: expect.stringContaining('"replies"'),
    });
    await alice.call({ type: 'token', token: '60000' });
    await vi.waitFor(async () => {
      expect(await server.engine.queues.describe('jobs')).toMatchObject({ length: 0 });
      expect(await server.engine.queues.describe('replies')).toMatchObject({ length: 0 });
    }, SETTLE_LIMIT);
  });

  it('closes an oversize qpub with 1009', async () => {
    const server = await startServer({ maxPayload: 1024 });
    const alice = await signIn(server.url, 'alice');
    await declare(alice, 'jobs');
    alice.send({ type: 'qpub', id: 1, queue: 'jobs', data: 'x'.repeat(2000) });
    expect((await alice.closed).code).toBe(1009);
  });

  it('a qreg that waited behind a slow step and runs after the close keeps no consumer', async () => {
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const asked: string[] = [];
    const server = await startServer({
      authorize: async (uid, action, target) => {
        asked.push(`${uid} ${action} ${target}`);
        if (target === 'gate') await gate;
        return true;
      },
    });
    const bob = await signIn(server.url, 'bob');
    await declare(bob, 'jobs');
    const alice = await signIn(server.url, 'alice');
    alice.send({ type: 'sub', id: 's', room: 'gate' });
    alice.send({ type: 'qreg', id: 'q', queue: 'jobs' });
    await vi.waitFor(() => expect(asked).toContain('alice subscribe gate'), SETTLE_LIMIT);
    await alice.close();
    await vi.waitFor(() => expect(server.connections).toBe(1), SETTLE_LIMIT);
    openGate();
    await vi.waitFor(() => expect(asked).toContain('alice consume jobs'), SETTLE_LIMIT);
    // Had alice's late consumer stayed, it would take every other message and never ack.
    await register(bob, 'jobs');
    await enqueue(bob, 'jobs', 1);
    await enqueue(bob, 'jobs', 2);
    const first = await nextDelivery(bob, 'jobs');
    const second = await nextDelivery(bob, 'jobs');
    expect([first.data, second.data]).toEqual([1, 2]);
  });

  it('asks authorize for consume and enqueue, temporary queues included', async () => {
    const asked: string[] = [];
    const server = await startServer({
      authorize: async (uid, action, target) => {
        asked.push(`${uid} ${action} ${target}`);
        if (action === 'consume') return target !== 'secret';
        if (action === 'enqueue') return uid !== 'mallory';
        return true;
      },
    });
    const alice = await signIn(server.url, 'alice');
    const mallory = await signIn(server.url, 'mallory');
    expect((await register(alice, 'secret')).error).toMatchObject({ code: 'FORBIDDEN' });
    const { queue } = (await register(alice, '')).data;
    expect((await enqueue(mallory, queue, 1)).error).toMatchObject({ code: 'FORBIDDEN' });
    expect((await enqueue(alice, queue, 2)).data).toEqual({ id: expect.any(String) });
    expect((await nextDelivery(alice, queue)).data).toBe(2);
    expect(asked).toEqual([
      'alice connect alice',
      'mallory connect mallory',
      'alice consume secret',
      `alice consume ${queue}`,
      `mallory enqueue ${queue}`,
      `alice enqueue ${queue}`,
    ]);
  });
});

describe('BrokerCore queue API (for transports without a socket)', () => {
  it('enqueue and consumeTemp carry an rpc through a worker on another node', async () => {
    const engine = memoryEngine();
    const server = await startServer({ engine });
    const reported: unknown[] = [];
    const core = new BrokerCore(
      resolveOptions({ engine, onError: (error) => reported.push(error) }),
    );
    const worker = await signIn(server.url, 'worker');
    await register(worker, 'double');

    let replied!: (delivery: EngineDelivery) => void;
    const reply = new Promise<EngineDelivery>((resolve) => {
      replied = resolve;
    });
    const inbox = await core.consumeTemp('http-caller', (delivery) => replied(delivery));
    expect(inbox.queue).toMatch(/^tmp\./);
    const sent = await core.enqueue('http-caller', 'double', {
      data: 21,
      replyTo: inbox.queue,
      correlationId: 'c-9',
    });
    expect(sent).toEqual({ id: expect.any(String) });

    const job = await nextDelivery(worker, 'double');
    expect(job).toMatchObject({ id: sent.id, replyTo: inbox.queue, correlationId: 'c-9' });
    ack(worker, job);
    await enqueue(worker, job.replyTo, 42, { correlationId: job.correlationId });
    expect(await reply).toMatchObject({ data: 42, correlationId: 'c-9' });
    await turn();
    expect(await engine.queues.describe(inbox.queue)).toEqual({
      owner: 'http-caller',
      length: 0,
      consumers: 1,
    });
    await inbox.stop();
    expect(await engine.queues.describe(inbox.queue)).toBeUndefined();
    await expect(core.enqueue('x', 'nope', { data: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    // Stopped from inside its own delivery: the queue is gone and nothing is reported.
    let stopped!: Promise<void>;
    const once = await core.consumeTemp('http-caller', () => {
      stopped = once.stop();
    });
    await core.enqueue('http-caller', once.queue, { data: 'only' });
    await stopped;
    await turn();
    expect(await engine.queues.describe(once.queue)).toBeUndefined();
    expect(reported).toEqual([]);
  });
});
