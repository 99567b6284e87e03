import { describe, expect, it } from 'vitest';
import type { DeadLetterEvent, QmsgMsg, QueueDelivery } from '../../src/index.js';
import {
  createTestClient,
  type FakeConnection,
  nextEvent,
  type TestClient,
} from '../../src/testing/index.js';

/* Queues and rpc on the client, against the scripted FakeServer over the in-memory transport,
 * driven by a SimulatedClock. The fake answers qreg/qunreg/qpub; each test sends the `qmsg`
 * deliveries itself and reads the client's qack/qnack/qpub frames. */

let deliveries = 0;

function qmsg(queue: string, data: unknown, extra: Partial<QmsgMsg> = {}): QmsgMsg {
  const n = ++deliveries;
  return {
    type: 'qmsg',
    queue,
    deliveryId: `d${n}`,
    id: `m${n}`,
    data: data as QmsgMsg['data'],
    attempt: 1,
    maxAttempts: 3,
    ...extra,
  };
}

function deferred<T = unknown>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function reconnecting(setup: TestClient) {
  return nextEvent(setup.client, 'state', ({ to }) => to === 'reconnecting');
}

const BACKOFF = { minDelayMs: 100, maxDelayMs: 100 };

describe('queue consumers (SimulatedClock, in-memory transport)', () => {
  it('registers a named queue: the handler gets the delivery, the client acks it', async () => {
    const { client, server } = createTestClient();
    const got: QueueDelivery[] = [];
    expect(await client.registerQueue('jobs', (d) => void got.push(d))).toBe('jobs');
    const connection = server.last!;
    expect(await connection.next('qreg')).toMatchObject({ queue: 'jobs' });
    expect(client.snapshot().consumers.jobs).toMatchObject({
      state: 'active',
      context: { queue: 'jobs', temporary: false },
    });
    expect(client.actors.consumers.get('jobs')?.getSnapshot().value).toBe('active');

    connection.send(qmsg('jobs', { n: 1 }, { deliveryId: 'd-a', id: 'm-a' }));
    expect(await connection.next('qack')).toEqual({
      type: 'qack',
      queue: 'jobs',
      deliveryId: 'd-a',
    });
    expect(got).toEqual([{ queue: 'jobs', data: { n: 1 }, id: 'm-a', attempt: 1, maxAttempts: 3 }]);
    expect(connection.received.some((m) => m.type === 'qpub')).toBe(false);
  });

  it("'' registers a temporary queue named by the server", async () => {
    const { client, server } = createTestClient();
    const name = await client.registerQueue('', () => undefined);
    expect(name).toMatch(/^tmp\./);
    expect(await server.last!.next('qreg')).toMatchObject({ queue: '' });
    expect(client.snapshot().consumers[name]).toMatchObject({
      state: 'active',
      context: { queue: name, temporary: true },
    });
  });

  it('a return value rides on the ack to the server, with replyTo and the correlation id', async () => {
    const { client, server } = createTestClient();
    await client.registerQueue('double', ({ data }) => (data as number) * 2);
    const connection = server.last!;
    connection.send(
      qmsg('double', 21, { deliveryId: 'd-r', replyTo: 'tmp.caller', correlationId: 'c1' }),
    );
    expect(await connection.next('qack')).toEqual({
      type: 'qack',
      queue: 'double',
      deliveryId: 'd-r',
      replyTo: 'tmp.caller',
      correlationId: 'c1',
      reply: 42,
    });
    connection.send(qmsg('double', 1, { deliveryId: 'd-n', replyTo: 'tmp.caller' }));
    expect(await connection.next('qack')).toEqual({
      type: 'qack',
      queue: 'double',
      deliveryId: 'd-n',
      replyTo: 'tmp.caller',
      reply: 2,
    });
    expect(connection.received.some((m) => m.type === 'qpub')).toBe(false);
  });

  it('a reply too large for a frame is reported on `error`; the delivery is acked without it', async () => {
    const { client, server } = createTestClient({ server: { maxPayload: 1000 } });
    await client.registerQueue('big', () => 'x'.repeat(2000));
    const connection = server.last!;
    const reported = nextEvent(client, 'error');
    connection.send(qmsg('big', 1, { deliveryId: 'd-big', replyTo: 'tmp.r', correlationId: 'c' }));
    expect(await connection.next('qack')).toEqual({
      type: 'qack',
      queue: 'big',
      deliveryId: 'd-big',
    });
    expect(await reported).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('reply to queue "tmp.r" failed'),
    });
  });

  it('async handlers: a resolved value is replied, a rejection or a throw is nacked', async () => {
    const { client, server } = createTestClient();
    await client.registerQueue('async', async ({ data }) => {
      if (data === 'reject') throw new Error('nope');
      return `done ${data}`;
    });
    await client.registerQueue('sync', () => {
      throw new Error('sync boom');
    });
    const connection = server.last!;
    connection.send(qmsg('async', 'x', { deliveryId: 'ok', replyTo: 'tmp.r', correlationId: 'c' }));
    expect(await connection.next('qack')).toMatchObject({
      deliveryId: 'ok',
      replyTo: 'tmp.r',
      reply: 'done x',
    });
    connection.send(qmsg('async', 'reject', { deliveryId: 'bad' }));
    expect(await connection.next('qnack')).toEqual({
      type: 'qnack',
      queue: 'async',
      deliveryId: 'bad',
      reason: 'nope',
    });
    connection.send(qmsg('sync', 1, { deliveryId: 'throws' }));
    expect(await connection.next('qnack')).toMatchObject({
      queue: 'sync',
      deliveryId: 'throws',
      reason: 'sync boom',
    });
  });

  it('a failure on the last attempt is reported as a dead letter (and nacked)', async () => {
    const { client, server } = createTestClient();
    const letters: DeadLetterEvent[] = [];
    client.on('deadLetter', (letter) => letters.push(letter));
    const failure = new Error('always fails');
    await client.registerQueue('fragile', () => {
      throw failure;
    });
    const connection = server.last!;
    connection.send(qmsg('fragile', 'p', { id: 'item', attempt: 2, maxAttempts: 3 }));
    await connection.next('qnack');
    expect(letters).toEqual([]);
    const last = nextEvent(client, 'deadLetter');
    connection.send(
      qmsg('fragile', 'p', { id: 'item', deliveryId: 'd-last', attempt: 3, maxAttempts: 3 }),
    );
    expect(await last).toEqual({
      queue: 'fragile',
      id: 'item',
      data: 'p',
      attempts: 3,
      reason: 'always fails',
      error: failure,
    });
    expect(await connection.next('qnack')).toMatchObject({ deliveryId: 'd-last' });
  });

  it('re-registers after a reconnect; work finished after the loss is neither acked nor replied', async () => {
    const setup = createTestClient({ reconnect: BACKOFF });
    const { client, server, clock } = setup;
    const held = deferred();
    await client.registerQueue('jobs', ({ data }) => (data === 'slow' ? held.promise : data));
    const first = server.last!;
    await first.next('qreg');
    first.send(qmsg('jobs', 'slow', { deliveryId: 'old', replyTo: 'tmp.r', correlationId: 'c' }));
    // The pong comes after the delivery: the handler holds it by then.
    await client.ping();

    const states: string[] = [];
    client.actors.consumers.get('jobs')!.subscribe((s) => states.push(JSON.stringify(s.value)));
    server.dropAll();
    await reconnecting(setup);
    expect(client.snapshot().consumers.jobs.state).toBe('offline');
    const reopened = server.nextConnection();
    clock.increment(100);
    const second = await reopened;
    expect(await second.next('qreg')).toMatchObject({ queue: 'jobs' });
    await client.ping();
    expect(client.snapshot().consumers.jobs.state).toBe('active');

    held.resolve('too late');
    second.send(qmsg('jobs', 'fast', { deliveryId: 'new' }));
    expect(await second.next('qack')).toMatchObject({ deliveryId: 'new' });
    expect(second.received.filter((m) => m.type === 'qack' || m.type === 'qpub')).toEqual([
      { type: 'qack', queue: 'jobs', deliveryId: 'new' },
    ]);
    expect(states).toEqual(['"offline"', '"reregistering"', '"active"']);
  });

  it('a temporary queue that expired while offline is replaced and reported as renamed', async () => {
    const setup = createTestClient({ reconnect: BACKOFF });
    const { client, server, clock } = setup;
    const name = await client.registerQueue('', () => undefined);
    server.dropAll();
    await reconnecting(setup);
    server.intercept('qreg', (message, connection) => {
      if (message.queue !== name) return false;
      connection.send({
        type: 'res',
        id: message.id,
        error: { code: 'NOT_FOUND', message: 'temporary queue is gone' },
      });
      return true;
    });
    const renamed = nextEvent(client, 'queueRenamed');
    const reopened = server.nextConnection();
    clock.increment(100);
    const connection = await reopened;
    expect(await connection.next('qreg')).toMatchObject({ queue: name });
    expect(await connection.next('qreg')).toMatchObject({ queue: '' });
    const { from, to } = await renamed;
    expect(from).toBe(name);
    expect(to).toMatch(/^tmp\./);
    expect(to).not.toBe(name);
    expect([...client.actors.consumers.keys()]).toEqual([to]);
    expect(client.snapshot().consumers[to].state).toBe('active');
  });

  it('unregisterQueue sends qunreg; later deliveries are not handled; the name is free again', async () => {
    const { client, server } = createTestClient();
    const got: unknown[] = [];
    await client.registerQueue('jobs', ({ data }) => void got.push(data));
    const connection = server.last!;
    await client.unregisterQueue('jobs');
    expect(await connection.next('qunreg')).toMatchObject({ queue: 'jobs' });
    expect(client.actors.consumers.has('jobs')).toBe(false);
    connection.send(qmsg('jobs', 'after'));
    await client.ping();
    await client.registerQueue('jobs', ({ data }) => void got.push(`again ${data}`));
    connection.send(qmsg('jobs', 'x', { deliveryId: 'd-again' }));
    expect(await connection.next('qack')).toMatchObject({ deliveryId: 'd-again' });
    expect(got).toEqual(['again x']);
    await client.unregisterQueue('unknown');
  });

  it('unregistered while its qreg is on the way: the late answer is unregistered', async () => {
    const { client, server } = createTestClient();
    await client.connect();
    const connection = server.last!;
    const held: Array<() => void> = [];
    server.intercept('qreg', (message) => {
      held.push(() => connection.send({ type: 'res', id: message.id, data: { queue: 'jobs' } }));
      return true;
    });
    const registered = client.registerQueue('jobs', () => undefined);
    await connection.next('qreg');
    await client.unregisterQueue('jobs');
    await expect(registered).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(client.snapshot().consumers).toEqual({});
    held[0]();
    expect(await connection.next('qunreg')).toMatchObject({ queue: 'jobs' });
  });

  it('registerQueue again for a consumed queue: same name, new handler, no second qreg', async () => {
    const { client, server } = createTestClient();
    const first: unknown[] = [];
    const second: unknown[] = [];
    expect(await client.registerQueue('jobs', ({ data }) => void first.push(data))).toBe('jobs');
    const connection = server.last!;
    connection.send(qmsg('jobs', 'one'));
    await connection.next('qack');
    expect(await client.registerQueue('jobs', ({ data }) => void second.push(data))).toBe('jobs');
    connection.send(qmsg('jobs', 'two'));
    await connection.next('qack');
    expect([first, second]).toEqual([['one'], ['two']]);
    expect(connection.received.filter((m) => m.type === 'qreg')).toHaveLength(1);
    expect([...client.actors.consumers.keys()]).toEqual(['jobs']);
  });

  it('registerQueue again while the first registration is under way: both resolve, one qreg', async () => {
    const { client, server } = createTestClient();
    const opened = server.nextConnection();
    const got: string[] = [];
    const first = client.registerQueue('jobs', () => void got.push('first handler'));
    const again = client.registerQueue('jobs', () => void got.push('second handler'));
    const connection = await opened;
    expect(await Promise.all([first, again])).toEqual(['jobs', 'jobs']);
    connection.send(qmsg('jobs', 1));
    await connection.next('qack');
    expect(got).toEqual(['second handler']);
    expect(connection.received.filter((m) => m.type === 'qreg')).toHaveLength(1);
  });

  it('registerQueue in every signedIn handler: resolves on each reconnect, one consumer', async () => {
    const setup = createTestClient({ reconnect: BACKOFF });
    const { client, server, clock } = setup;
    const got: unknown[] = [];
    const registrations: Array<Promise<string>> = [];
    client.on('signedIn', () => {
      registrations.push(client.registerQueue('jobs', ({ data }) => void got.push(data)));
    });
    await client.connect();
    expect(await registrations[0]).toBe('jobs');
    server.dropAll();
    await reconnecting(setup);
    const reopened = server.nextConnection();
    clock.increment(100);
    const second = await reopened;
    await nextEvent(client, 'signedIn');
    expect(registrations).toHaveLength(2);
    expect(await registrations[1]).toBe('jobs');
    expect(second.received.filter((m) => m.type === 'qreg')).toEqual([
      expect.objectContaining({ queue: 'jobs' }),
    ]);
    second.send(qmsg('jobs', 'after the reconnect'));
    await second.next('qack');
    expect(got).toEqual(['after the reconnect']);
    expect(client.snapshot().consumers.jobs.state).toBe('active');
  });

  it('refusals: FORBIDDEN from the server', async () => {
    const { client, server } = createTestClient();
    await client.registerQueue('jobs', () => undefined);
    server.intercept('qreg', (message, connection) => {
      connection.send({
        type: 'res',
        id: message.id,
        error: { code: 'FORBIDDEN', message: 'not yours' },
      });
      return true;
    });
    await expect(client.registerQueue('tmp.other', () => undefined)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'not yours',
    });
    expect([...client.actors.consumers.keys()]).toEqual(['jobs']);
  });

  it('registerQueue while offline waits for the connection (lazy start)', async () => {
    const { client, server } = createTestClient();
    const opened = server.nextConnection();
    const registered = client.registerQueue('later', () => undefined);
    expect(client.snapshot().consumers.later.state).toBe('registering');
    await opened;
    expect(await registered).toBe('later');
  });

  it('disconnect() ends every consumer and rejects a registration still under way', async () => {
    const { client, server } = createTestClient();
    await client.registerQueue('jobs', () => undefined);
    server.intercept('qreg', () => true);
    const pending = client.registerQueue('stuck', () => undefined);
    await server.last!.next('qreg');
    await server.last!.next('qreg');
    const consumer = client.actors.consumers.get('jobs')!;
    await client.disconnect();
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(consumer.getSnapshot().value).toBe('unregistered');
    expect(client.snapshot().consumers).toEqual({});
  });
});

describe('queueMessage', () => {
  it('sends qpub with a mid and the options, resolves with the server id', async () => {
    const { client, server } = createTestClient();
    await client.connect();
    const ack = await client.queueMessage(
      'jobs',
      { n: 1 },
      {
        replyTo: 'tmp.me',
        correlationId: 'c9',
        expiresInMs: 500,
      },
    );
    const sent = await server.last!.next('qpub');
    expect(sent).toEqual({
      type: 'qpub',
      id: expect.anything(),
      queue: 'jobs',
      data: { n: 1 },
      mid: expect.any(String),
      replyTo: 'tmp.me',
      correlationId: 'c9',
      expiresInMs: 500,
    });
    expect(ack).toEqual({ id: sent.mid });
  });

  it('unanswered when the socket drops: resent after the reconnect with the same mid', async () => {
    const setup = createTestClient({ reconnect: BACKOFF });
    const { client, server, clock } = setup;
    await client.connect();
    server.intercept('qpub', () => true);
    const ack = client.queueMessage('jobs', 'once');
    const first = await server.last!.next('qpub');
    server.intercept('qpub', undefined);
    server.dropAll();
    await reconnecting(setup);
    const buffered = client.queueMessage('jobs', 'while away');
    const reopened = server.nextConnection();
    clock.increment(100);
    const connection = await reopened;
    const resent = await connection.next('qpub');
    expect(resent).toMatchObject({ data: 'once', mid: first.mid });
    expect(await connection.next('qpub')).toMatchObject({ data: 'while away' });
    expect(await ack).toEqual({ id: first.mid });
    await buffered;
  });

  it('errors: NOT_FOUND from the server; PAYLOAD_TOO_LARGE over welcome.maxPayload', async () => {
    const { client, server } = createTestClient({ server: { maxPayload: 1000 } });
    await client.connect();
    server.intercept('qpub', (message, connection) => {
      connection.send({
        type: 'res',
        id: message.id,
        error: { code: 'NOT_FOUND', message: 'no queue "nope"' },
      });
      return true;
    });
    await expect(client.queueMessage('nope', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.queueMessage('nope', 'x'.repeat(2000))).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    await expect(client.queueMessage('', 1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('rpc', () => {
  /** Answers every rpc request published to `queue` with `answer(data)`, in reverse order. */
  function worker(connection: FakeConnection, count: number, answer: (data: number) => number) {
    return (async () => {
      const requests = [];
      for (let i = 0; i < count; i++) requests.push(await connection.next('qpub'));
      for (const request of requests.reverse()) {
        connection.send(
          qmsg(request.replyTo!, answer(request.data as number), {
            correlationId: request.correlationId,
          }),
        );
      }
      return requests;
    })();
  }

  it('one lazily registered reply queue; concurrent calls matched by correlation id', async () => {
    const { client, server } = createTestClient();
    await client.connect();
    const connection = server.last!;
    const calls = [1, 2, 3].map((n) => client.rpc<number>('double', n, { timeoutMs: 1000 }));
    const requests = await worker(connection, 3, (n) => n * 2);
    expect(await Promise.all(calls)).toEqual([2, 4, 6]);
    const registrations = connection.received.filter((m) => m.type === 'qreg');
    expect(registrations).toEqual([{ type: 'qreg', id: expect.anything(), queue: '' }]);
    const replyQueue = requests[0].replyTo!;
    expect(replyQueue).toMatch(/^tmp\./);
    expect(new Set(requests.map((r) => r.replyTo))).toEqual(new Set([replyQueue]));
    expect(new Set(requests.map((r) => r.correlationId)).size).toBe(3);
    expect(requests[0]).toMatchObject({ queue: 'double', expiresInMs: 1000 });
    for (let i = 0; i < 3; i++) await connection.next('qack');
    expect(client.snapshot().consumers[replyQueue].state).toBe('active');
  });

  it('times out on the client clock with TIMEOUT; a late reply is acked and dropped', async () => {
    const { client, server, clock } = createTestClient();
    await client.connect();
    const connection = server.last!;
    const call = client.rpc('slow', 'q', { timeoutMs: 500 });
    const request = await connection.next('qpub');
    clock.increment(499);
    clock.increment(1);
    await expect(call).rejects.toMatchObject({ code: 'TIMEOUT' });
    connection.send(
      qmsg(request.replyTo!, 'late', {
        deliveryId: 'd-late',
        correlationId: request.correlationId,
      }),
    );
    expect(await connection.next('qack')).toMatchObject({ deliveryId: 'd-late' });
    const next = client.rpc('slow', 'again', { timeoutMs: 500 });
    const second = await connection.next('qpub');
    connection.send(qmsg(second.replyTo!, 'fresh', { correlationId: second.correlationId }));
    expect(await next).toBe('fresh');
  });

  it('the reply queue is kept across a reconnect: registered again under its name', async () => {
    const setup = createTestClient({ reconnect: BACKOFF });
    const { client, server, clock } = setup;
    await client.connect();
    const first = client.rpc('svc', 1, { timeoutMs: 10_000 });
    const [request] = await worker(server.last!, 1, (n) => n + 1);
    expect(await first).toBe(2);
    server.dropAll();
    await reconnecting(setup);
    const during = client.rpc('svc', 10, { timeoutMs: 10_000 });
    const reopened = server.nextConnection();
    clock.increment(100);
    const connection = await reopened;
    expect(await connection.next('qreg')).toMatchObject({ queue: request.replyTo });
    const [again] = await worker(connection, 1, (n) => n + 1);
    expect(again.replyTo).toBe(request.replyTo);
    expect(await during).toBe(11);
  });

  it('the request is quiet: its reply is the answer; answered, it is neither timed out nor resent', async () => {
    const setup = createTestClient({ reconnect: BACKOFF });
    const { client, server, clock } = setup;
    await client.connect();
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    const call = client.rpc('svc', 1, { timeoutMs: 1000 });
    const [request] = await worker(server.last!, 1, (n) => n + 1);
    expect(request).toMatchObject({ quiet: true, expiresInMs: 1000 });
    expect(await call).toBe(2);
    clock.increment(1000);
    server.dropAll();
    await reconnecting(setup);
    const reopened = server.nextConnection();
    clock.increment(100);
    const connection = await reopened;
    await connection.next('qreg');
    await client.ping();
    expect(connection.received.filter((m) => m.type === 'qpub')).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('an rpc that timed out while offline is not sent after the reconnect', async () => {
    const setup = createTestClient({ reconnect: { minDelayMs: 1000, maxDelayMs: 1000 } });
    const { client, server, clock } = setup;
    await client.connect();
    const first = client.rpc('svc', 0, { timeoutMs: 1000 });
    await worker(server.last!, 1, (n) => n);
    await first;
    server.dropAll();
    await reconnecting(setup);
    const call = client.rpc('svc', 1, { timeoutMs: 500 });
    clock.increment(500);
    await expect(call).rejects.toMatchObject({ code: 'TIMEOUT' });
    const reopened = server.nextConnection();
    clock.increment(500);
    const connection = await reopened;
    await connection.next('qreg');
    await client.ping();
    expect(connection.received.filter((m) => m.type === 'qpub')).toEqual([]);
  });

  it('a quiet request the server refuses rejects the rpc with its error', async () => {
    const { client, server } = createTestClient();
    await client.connect();
    server.intercept('qpub', (message, connection) => {
      connection.send({
        type: 'res',
        id: message.id,
        error: { code: 'UNAVAILABLE', message: 'queue svc is full' },
      });
      return true;
    });
    await expect(client.rpc('svc', 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('disconnect() rejects every pending rpc with DISCONNECTED', async () => {
    const { client, server } = createTestClient();
    await client.connect();
    const calls = [client.rpc('svc', 1), client.rpc('svc', 2)];
    await server.last!.next('qpub');
    await server.last!.next('qpub');
    await client.disconnect();
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(client.snapshot().consumers).toEqual({});
  });

  it('an rpc before the connection opens registers the reply queue once connected', async () => {
    const { client, server } = createTestClient();
    const call = client.rpc<string>('svc', 'hi', { timeoutMs: 1000 });
    const connection = await server.nextConnection();
    const [request] = await worker(connection, 1, () => 7);
    expect(request.data).toBe('hi');
    expect(await call).toBe(7);
  });
});
