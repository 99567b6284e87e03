import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeServers, type Frame, signIn, startServer, type TestClient } from './helpers.js';
import { call, errorOf } from './httpHelpers.js';

afterEach(closeServers);

async function consumer(url: string, queue: string): Promise<TestClient> {
  const client = await signIn(url, `worker-${queue}`);
  expect(await client.call({ type: 'qreg', queue })).toEqual({ queue });
  return client;
}

/** What a §5 consumer does with a handler's return value: reply to `replyTo`, then ack. */
async function answer(worker: TestClient, job: Frame, data: unknown): Promise<Frame> {
  const res = await worker.request({
    type: 'qpub',
    queue: job.replyTo,
    data,
    correlationId: job.correlationId,
  });
  worker.send({ type: 'qack', queue: job.queue, deliveryId: job.deliveryId });
  return res;
}

describe('POST /v1/queue', () => {
  it('puts a message on a queue for one consumer, with replyTo and correlationId', async () => {
    const server = await startServer();
    const worker = await consumer(server.url, 'jobs');
    const body = { queue: 'jobs', data: { n: 1 }, replyTo: 'results', correlationId: 'c-1' };
    const put = await call(server, '/v1/queue', { uid: 'alice', body });
    expect(put).toMatchObject({ status: 200, body: { id: expect.any(String) } });
    expect(await worker.next('qmsg')).toMatchObject({
      queue: 'jobs',
      id: put.body.id,
      data: { n: 1 },
      attempt: 1,
      replyTo: 'results',
      correlationId: 'c-1',
    });
    const withMid = await call(server, '/v1/queue', {
      body: { queue: 'jobs', data: 2, mid: 'm-7', expiresInMs: 60_000 },
    });
    expect(withMid.body).toEqual({ id: 'm-7' });
    expect(await worker.next('qmsg')).toMatchObject({ id: 'm-7', data: 2 });
  });

  it('refuses an unknown queue, what authorize refuses and bad bodies', async () => {
    const server = await startServer({
      authorize: (_uid, action, target) => !(action === 'enqueue' && target === 'locked'),
    });
    await consumer(server.url, 'locked');
    expect(await call(server, '/v1/queue', { body: { queue: 'nobody', data: 1 } })).toMatchObject(
      errorOf(404, 'NOT_FOUND'),
    );
    expect(await call(server, '/v1/queue', { body: { queue: 'locked', data: 1 } })).toMatchObject(
      errorOf(403, 'FORBIDDEN'),
    );
    for (const body of [
      { queue: 'jobs' },
      { queue: '', data: 1 },
      { queue: 'j', data: 1, expiresInMs: -1 },
    ]) {
      expect(await call(server, '/v1/queue', { body })).toMatchObject(errorOf(400, 'BAD_REQUEST'));
    }
  });
});

describe('POST /v1/rpc', () => {
  it('answers with the reply of a socket consumer; concurrent calls are matched', async () => {
    const server = await startServer();
    const worker = await consumer(server.url, 'math');
    const first = call(server, '/v1/rpc', { uid: 'alice', body: { queue: 'math', data: 1 } });
    const second = call(server, '/v1/rpc', { uid: 'alice', body: { queue: 'math', data: 2 } });
    const jobs = [await worker.next('qmsg'), await worker.next('qmsg')];
    for (const job of jobs) {
      expect(job.replyTo).toEqual(expect.any(String));
      expect(job.correlationId).toEqual(expect.any(String));
    }
    // Answered in reverse order of arrival.
    for (const job of jobs.reverse()) {
      expect((await answer(worker, job, { double: job.data * 2 })).error).toBeUndefined();
    }
    const answers = [await first, await second];
    const doubled = answers.map((a) => a.body.data.double);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(doubled).toEqual([2, 4]);
    // The reply queue went with the call.
    expect(await server.engine.queues.describe(jobs[0].replyTo)).toBeUndefined();
  });

  it('504 TIMEOUT without a reply in time; the reply queue goes with the call', async () => {
    const server = await startServer();
    const worker = await consumer(server.url, 'slow');
    const pending = call(server, '/v1/rpc', { body: { queue: 'slow', data: 1, timeoutMs: 100 } });
    const job = await worker.next('qmsg');
    expect(await pending).toMatchObject(errorOf(504, 'TIMEOUT'));
    expect(await server.engine.queues.describe(job.replyTo)).toBeUndefined();
    const late = await answer(worker, job, 'too late');
    expect(late.error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a request nobody took before the timeout expires with it', async () => {
    const server = await startServer();
    const worker = await consumer(server.url, 'later');
    await worker.call({ type: 'qunreg', queue: 'later' });
    const timedOut = await call(server, '/v1/rpc', {
      body: { queue: 'later', data: 'stale', timeoutMs: 30 },
    });
    expect(timedOut).toMatchObject(errorOf(504, 'TIMEOUT'));
    await call(server, '/v1/queue', { body: { queue: 'later', data: 'fresh' } });
    await worker.call({ type: 'qreg', queue: 'later' });
    expect(await worker.next('qmsg')).toMatchObject({ data: 'fresh' });
  });

  it('a caller that goes away ends the wait and removes the reply queue', async () => {
    const server = await startServer();
    const worker = await consumer(server.url, 'jobs');
    const controller = new AbortController();
    const pending = fetch(`${server.httpUrl}/v1/rpc`, {
      method: 'POST',
      body: JSON.stringify({ queue: 'jobs', data: 1, timeoutMs: 60_000 }),
      signal: controller.signal,
    });
    const job = await worker.next('qmsg');
    controller.abort();
    await expect(pending).rejects.toThrow();
    await vi.waitFor(async () => {
      expect(await server.engine.queues.describe(job.replyTo)).toBeUndefined();
    });
  });

  it('a server closing while an rpc waits ends the call', async () => {
    const server = await startServer();
    const worker = await consumer(server.url, 'jobs');
    const pending = call(server, '/v1/rpc', {
      body: { queue: 'jobs', data: 1, timeoutMs: 60_000 },
    });
    await worker.next('qmsg');
    // Handled before the close: the call may fail while close() still waits for the engine.
    const failed = expect(pending).rejects.toThrow();
    await server.close();
    await failed;
  });

  it('fails at once for an unknown queue and a bad timeout', async () => {
    const server = await startServer();
    expect(await call(server, '/v1/rpc', { body: { queue: 'none', data: 1 } })).toMatchObject(
      errorOf(404, 'NOT_FOUND'),
    );
    for (const timeoutMs of [0, 1.5, '10', 10 * 60_000]) {
      expect(
        await call(server, '/v1/rpc', { body: { queue: 'none', data: 1, timeoutMs } }),
      ).toMatchObject(errorOf(400, 'BAD_REQUEST'));
    }
    expect(await call(server, '/v1/rpc', { body: { queue: 'none' } })).toMatchObject(
      errorOf(400, 'BAD_REQUEST'),
    );
  });
});
