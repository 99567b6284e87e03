import { describe, expect, it } from 'vitest';
import { type Message, type Transport, webSocketTransport } from '../../src/index.js';
import { nextEvent } from '../../src/testing/index.js';
import { client, startServer } from './e2eHelpers.js';

/* Client handles (SPEC §3) end to end over real `ws` against the real server on port 0. */

/** The WebSocket transport, keeping every frame the client sends. */
function recording(): Transport & { sent: string[]; opened: number } {
  const inner = webSocketTransport();
  const transport = {
    sent: [] as string[],
    opened: 0,
    connect: (url: string, handlers: Parameters<Transport['connect']>[1]) => {
      transport.opened++;
      const socket = inner.connect(url, handlers);
      return {
        send: (text: string) => {
          transport.sent.push(text);
          socket.send(text);
        },
        close: (code?: number, reason?: string) => socket.close(code, reason),
      };
    },
  };
  return transport;
}

function countOf(frames: string[], type: string): number {
  return frames.join('\n').split(`"type":"${type}"`).length - 1;
}

function receiver() {
  const messages: Message[] = [];
  let wake: (() => void) | undefined;
  return {
    messages,
    handler: (message: Message) => {
      messages.push(message);
      wake?.();
    },
    until(count: number): Promise<void> {
      if (messages.length >= count) return Promise.resolve();
      return new Promise((resolve) => {
        wake = () => {
          if (messages.length >= count) resolve();
        };
      });
    },
  };
}

describe('client handles end to end (real server, ws)', () => {
  it('two handles on one room: one server subscription; one closes, the other keeps receiving', async () => {
    const server = await startServer();
    const transport = recording();
    const shared = client({ url: server.url, uid: 'service', transport });
    const taskA = shared.handle();
    const taskB = shared.handle();
    const a = receiver();
    const b = receiver();
    const subA = taskA.subscribe('orders', a.handler);
    const subB = taskB.subscribe('orders', b.handler);
    await Promise.all([subA.ready(), subB.ready()]);
    expect(countOf(transport.sent, 'sub')).toBe(1);
    expect(await taskB.presence('orders')).toEqual(['service']);

    await server.publish('orders', 'new', 1);
    await Promise.all([a.until(1), b.until(1)]);
    await taskA.close();
    await server.publish('orders', 'new', 2);
    await b.until(2);
    expect(a.messages.map((m) => m.content)).toEqual([1]);
    expect(b.messages.map((m) => m.content)).toEqual([1, 2]);
    expect(await taskB.presence('orders')).toEqual(['service']);
    expect(countOf(transport.sent, 'unsub')).toBe(0);
    expect(transport.opened).toBe(1);
    expect(shared.isConnected).toBe(true);
  });

  it("a handle's pending rpc and request reject with DISCONNECTED on client.disconnect()", async () => {
    const server = await startServer();
    server.on('never', () => new Promise(() => undefined));
    const shared = client({ url: server.url, uid: 'service' });
    await shared.connect();
    const task = shared.handle();
    await task.registerQueue('work', () => undefined);
    const rpc = task.rpc('nobody-home', 1, { timeoutMs: 60_000 });
    const request = task.request('never', 1);
    const gone = nextEvent(task, 'disconnected');
    await shared.disconnect();
    await expect(rpc).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(request).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(await gone).toMatchObject({ willReconnect: false });
    expect(shared.snapshot().consumers).toEqual({});
  });

  it("a handle's close() detaches its consumer from the server; the client's consumer stays", async () => {
    const server = await startServer();
    const shared = client({ url: server.url, uid: 'service' });
    const task = shared.handle();
    const got: string[] = [];
    await shared.registerQueue('stays', () => void got.push('stays'));
    await task.registerQueue('goes', () => void got.push('goes'));
    await task.close();
    const producer = client({ url: server.url, uid: 'producer' });
    expect(await producer.rpc('stays', 1, { timeoutMs: 5000 })).toBe(null);
    // Queued with no consumer attached (a stale one would have been handed it, unacked)...
    await producer.queueMessage('goes', 2);
    // ...so the next consumer of the queue gets it at once, on its first attempt.
    const successor = client({ url: server.url, uid: 'successor' });
    const delivered = new Promise<unknown>((resolve) => {
      successor.registerQueue('goes', (d) => resolve([d.data, d.attempt]));
    });
    expect(await delivered).toEqual([2, 1]);
    expect(got).toEqual(['stays']);
  });
});
