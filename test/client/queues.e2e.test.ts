import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  type Client,
  type QueueDelivery,
  type Transport,
  type TransportSocket,
  webSocketTransport,
} from '../../src/index.js';
import { type DeadLetter, memoryEngine } from '../../src/server/index.js';
import { nextEvent } from '../../src/testing/index.js';
import { client, startServer } from './e2eHelpers.js';

/* Queues and rpc end to end: clients over real `ws` against the real server on port 0.
 * Every wait is on an event (a handler call, a client event, a promise). */

/** The WebSocket transport, keeping its sockets so a test can cut one. */
function cuttable(): Transport & { sockets: TransportSocket[] } {
  const inner = webSocketTransport();
  const sockets: TransportSocket[] = [];
  return {
    sockets,
    connect: (url, handlers) => {
      const socket = inner.connect(url, handlers);
      sockets.push(socket);
      return socket;
    },
  };
}

/** What a consumer handled; `until(n)` resolves once `n` deliveries were seen in total. */
class Tally {
  readonly deliveries: QueueDelivery[] = [];
  #waiters: Array<{ count: number; resolve(): void }> = [];

  record(delivery: QueueDelivery): void {
    this.deliveries.push(delivery);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.deliveries.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }

  until(count: number): Promise<void> {
    if (this.deliveries.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  ids(): string[] {
    return this.deliveries.map((d) => d.id);
  }
}

async function queueAll(producer: Client, queue: string, count: number): Promise<string[]> {
  const acks = await Promise.all(
    Array.from({ length: count }, (_, i) => producer.queueMessage(queue, { i })),
  );
  return acks.map((ack) => ack.id);
}

describe('queues end to end (real server, ws)', () => {
  it('3 consumers share 3,000 messages: none lost, none doubled', async () => {
    const server = await startServer();
    const all = new Tally();
    const consumers = [new Tally(), new Tally(), new Tally()];
    for (const [n, tally] of consumers.entries()) {
      const c = client({ url: server.url, uid: `worker-${n}` });
      await c.registerQueue('work', (d) => {
        tally.record(d);
        all.record(d);
      });
    }
    const producer = client({ url: server.url, uid: 'producer' });
    await producer.connect();
    const ids = await queueAll(producer, 'work', 3000);
    await all.until(3000);
    expect(new Set(all.ids())).toEqual(new Set(ids));
    expect(all.deliveries).toHaveLength(3000);
    for (const tally of consumers) expect(tally.deliveries.length).toBeGreaterThan(0);
    expect(all.deliveries.every((d) => d.attempt === 1)).toBe(true);
  });

  it('a consumer gone mid-batch: its unacked messages reach the others, once each', async () => {
    const server = await startServer();
    const held = new Tally();
    const others = new Tally();
    const everyone = new Tally();
    const dying = client({ url: server.url, uid: 'dying' });
    // Holds every delivery: nothing it gets is ever acked.
    await dying.registerQueue('batch', (d) => {
      held.record(d);
      everyone.record(d);
      return new Promise(() => undefined);
    });
    for (const uid of ['b', 'c']) {
      const c = client({ url: server.url, uid });
      await c.registerQueue('batch', (d) => {
        others.record(d);
        everyone.record(d);
      });
    }
    const producer = client({ url: server.url, uid: 'producer' });
    await producer.connect();
    const count = 600;
    const ids = await queueAll(producer, 'batch', count);
    // Every message is out: with the dying consumer (at most prefetch = 64) or acked by the others.
    await everyone.until(count);
    const heldIds = held.ids();
    expect(heldIds).toHaveLength(64);

    await dying.disconnect();
    await others.until(count);
    const handled = others.ids();
    expect(handled).toHaveLength(count);
    expect(new Set(handled)).toEqual(new Set(ids));
    const redelivered = others.deliveries.filter((d) => heldIds.includes(d.id));
    expect(redelivered).toHaveLength(64);
    expect(redelivered.every((d) => d.attempt === 2)).toBe(true);
  });

  it('200 concurrent rpcs each get their own answer', async () => {
    const server = await startServer();
    const worker = client({ url: server.url, uid: 'worker' });
    await worker.registerQueue('square', ({ data }) => (data as number) ** 2);
    const caller = client({ url: server.url, uid: 'caller' });
    await caller.connect();
    const inputs = Array.from({ length: 200 }, (_, i) => i);
    const answers = await Promise.all(inputs.map((i) => caller.rpc<number>('square', i)));
    expect(answers).toEqual(inputs.map((i) => i * i));
    // One reply queue for all of them.
    expect([...caller.actors.consumers.keys()]).toEqual([expect.stringMatching(/^tmp\./)]);
  });

  it('rpc to a queue without consumers times out with TIMEOUT', async () => {
    const server = await startServer();
    const owner = client({ url: server.url, uid: 'owner' });
    await owner.registerQueue('idle', () => 'never');
    await owner.unregisterQueue('idle');
    const caller = client({ url: server.url, uid: 'caller' });
    await caller.connect();
    await expect(caller.rpc('idle', 1, { timeoutMs: 150 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect(caller.isConnected).toBe(true);
  });

  it('a consumer whose connection dropped registers again and gets what was queued meanwhile', async () => {
    const server = await startServer();
    const clock = new SimulatedClock();
    const transport = cuttable();
    // Its backoff runs on a SimulatedClock: it stays away until the test moves the clock.
    const consumer = client({
      url: server.url,
      uid: 'consumer',
      clock,
      transport,
      reconnect: { minDelayMs: 100, maxDelayMs: 100 },
      random: () => 1,
    });
    const got = new Tally();
    await consumer.registerQueue('jobs', (d) => void got.record(d));
    const producer = client({ url: server.url, uid: 'producer' });
    await producer.queueMessage('jobs', 'before');
    await got.until(1);
    // The pong follows the ack on the socket: the server has it once ping() resolves.
    await consumer.ping();

    const lost = nextEvent(consumer, 'disconnected');
    transport.sockets[0].close(4000, 'cut by test');
    expect(await lost).toMatchObject({ willReconnect: true });
    expect(consumer.snapshot().consumers.jobs.state).toBe('offline');
    await producer.queueMessage('jobs', 'meanwhile 1');
    await producer.queueMessage('jobs', 'meanwhile 2');

    const back = nextEvent(consumer, 'signedIn');
    clock.increment(100);
    await back;
    await got.until(3);
    expect(got.deliveries.map((d) => d.data)).toEqual(['before', 'meanwhile 1', 'meanwhile 2']);
    expect(consumer.snapshot().consumers.jobs.state).toBe('active');
  });

  it('registerQueue in the signedIn handler: resolves on every reconnect, still one consumer', async () => {
    const server = await startServer();
    const transport = cuttable();
    const sent: string[] = [];
    const recording: Transport = {
      connect: (url, handlers) => {
        const socket = transport.connect(url, handlers);
        return {
          send: (text) => {
            sent.push(text);
            socket.send(text);
          },
          close: (code, reason) => socket.close(code, reason),
        };
      },
    };
    const consumer = client({ url: server.url, uid: 'consumer', transport: recording });
    const got = new Tally();
    const registrations: Array<Promise<string>> = [];
    consumer.on('signedIn', () => {
      registrations.push(consumer.registerQueue('jobs', (d) => void got.record(d)));
    });
    await consumer.connect();
    expect(await registrations[0]).toBe('jobs');

    const back = nextEvent(consumer, 'signedIn');
    transport.sockets[0].close(4000, 'cut by test');
    await back;
    expect(await registrations[1]).toBe('jobs');
    const producer = client({ url: server.url, uid: 'producer' });
    const ids = await queueAll(producer, 'jobs', 4);
    await got.until(4);
    await consumer.ping();
    expect(got.ids()).toEqual(ids);
    // One qreg per socket: the consumer re-registered itself, the handler's call added none.
    expect(sent.join('\n').match(/"type":"qreg"/g)).toHaveLength(2);
  });

  it('server restarted: consumers and the rpc reply queue register again, work resumes', async () => {
    const server = await startServer();
    const clock = new SimulatedClock();
    const consumer = client({
      url: server.url,
      uid: 'consumer',
      clock,
      reconnect: { minDelayMs: 100, maxDelayMs: 100 },
      random: () => 1,
    });
    const got = new Tally();
    await consumer.registerQueue('jobs', (d) => {
      got.record(d);
      return `done ${d.data}`;
    });
    const caller = client({ url: server.url, uid: 'caller' });
    await caller.connect();
    expect(await caller.rpc('jobs', 'first')).toBe('done first');
    const replyQueue = [...caller.actors.consumers.keys()];

    const lost = nextEvent(consumer, 'disconnected');
    await server.close();
    await lost;
    await server.start();
    // The caller reconnects on its own; the consumer waits for the simulated clock.
    await nextEvent(caller, 'signedIn');
    await caller.queueMessage('jobs', 'queued while the consumer was away');
    const pending = caller.rpc('jobs', 'second');
    clock.increment(100);
    expect(await pending).toBe('done second');
    await got.until(3);
    expect(got.deliveries.map((d) => d.data)).toEqual([
      'first',
      'queued while the consumer was away',
      'second',
    ]);
    expect([...caller.actors.consumers.keys()]).toEqual(replyQueue);
  });

  it('a handler that keeps failing: redelivered, then reported as a dead letter', async () => {
    let serverLetter!: (letter: DeadLetter) => void;
    const dropped = new Promise<DeadLetter>((resolve) => {
      serverLetter = resolve;
    });
    const server = await startServer({
      engine: memoryEngine({ queues: { maxAttempts: 3 } }),
      onDeadLetter: (letter) => serverLetter(letter),
    });
    const consumer = client({ url: server.url, uid: 'consumer' });
    const attempts: number[] = [];
    await consumer.registerQueue('fragile', ({ attempt }) => {
      attempts.push(attempt);
      throw new Error(`failed attempt ${attempt}`);
    });
    const deadLetter = nextEvent(consumer, 'deadLetter');
    const producer = client({ url: server.url, uid: 'producer' });
    const { id } = await producer.queueMessage('fragile', { job: 1 });
    expect(await deadLetter).toMatchObject({
      queue: 'fragile',
      id,
      data: { job: 1 },
      attempts: 3,
      reason: 'failed attempt 3',
    });
    expect(attempts).toEqual([1, 2, 3]);
    expect(await dropped).toMatchObject({ queue: 'fragile', id, attempts: 3 });
  });

  it("a reply the server refuses (its reply queue is gone) is the worker's `error`; no redelivery", async () => {
    const server = await startServer();
    const worker = client({ url: server.url, uid: 'worker' });
    const producer = client({ url: server.url, uid: 'producer' });
    const tally = new Tally();
    await worker.registerQueue('refused-reply-jobs', (delivery) => {
      tally.record(delivery);
      return 'answer';
    });
    await producer.connect();
    const refused = nextEvent(worker, 'error');
    await producer.queueMessage('refused-reply-jobs', 1, {
      replyTo: 'tmp.gone',
      correlationId: 'c',
    });
    expect(await refused).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('reply to queue "tmp.gone" failed'),
    });
    // Acked all the same: the next message is the only other delivery.
    await producer.queueMessage('refused-reply-jobs', 2);
    await tally.until(2);
    await worker.unregisterQueue('refused-reply-jobs');
    expect(tally.deliveries.map((d) => [d.data, d.attempt])).toEqual([
      [1, 1],
      [2, 1],
    ]);
  });

  it('bad input: unknown queue, foreign temporary queue, oversize data', async () => {
    const server = await startServer({ maxPayload: 4096 });
    const alice = client({ url: server.url, uid: 'alice' });
    const bob = client({ url: server.url, uid: 'bob' });
    // Connected: the calls below go over the socket (a lazy client would use HTTP).
    await Promise.all([alice.connect(), bob.connect()]);
    await expect(alice.queueMessage('nowhere', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(alice.rpc('nowhere', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const aliceTemp = await alice.registerQueue('', () => undefined);
    await expect(bob.registerQueue(aliceTemp, () => undefined)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(bob.snapshot().consumers).toEqual({});
    // Anyone may put a message on another's temporary queue (that is how replies travel).
    await bob.queueMessage(aliceTemp, 'reply');

    await expect(alice.queueMessage(aliceTemp, 'x'.repeat(10_000))).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    // Refused before sending: the connection is still there.
    expect(alice.isConnected).toBe(true);
    expect(await alice.queueMessage(aliceTemp, 'small')).toMatchObject({ id: expect.any(String) });
  });
});
