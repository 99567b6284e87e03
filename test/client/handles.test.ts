import { describe, expect, it } from 'vitest';
import type { Message, QmsgMsg, QueueDelivery } from '../../src/index.js';
import { createTestClient, nextEvent } from '../../src/testing/index.js';

/* Client handles (SPEC §3) against the scripted FakeServer over the in-memory transport, on a
 * SimulatedClock: what the server receives shows that handles share one socket and one
 * server subscription per room, and that a handle's close() releases only its own things. */

function qmsg(queue: string, n: number): QmsgMsg {
  return { type: 'qmsg', queue, deliveryId: `d${n}`, id: `m${n}`, data: n, attempt: 1 };
}

describe('client handles (SimulatedClock, in-memory transport)', () => {
  it('share the socket and one server subscription; closing one leaves the other receiving', async () => {
    const { client, server } = createTestClient();
    const a = client.handle();
    const b = client.handle();
    const gotA: Message[] = [];
    const gotB: Message[] = [];
    const subA = a.subscribe('room', (m) => gotA.push(m));
    const subB = b.subscribe('room', (m) => gotB.push(m));
    await Promise.all([subA.ready(), subB.ready()]);
    const connection = server.last!;
    expect(server.connections).toHaveLength(1);
    expect(connection.received.filter((m) => m.type === 'sub')).toHaveLength(1);

    server.publish('room', 'e', 1);
    await a.ping();
    await a.close();
    expect(a.closed).toBe(true);
    expect(subA.state).toBe('unsubscribed');
    expect(subB.state).toBe('subscribed');
    server.publish('room', 'e', 2);
    await b.ping();
    expect(gotA.map((m) => m.content)).toEqual([1]);
    expect(gotB.map((m) => m.content)).toEqual([1, 2]);
    expect(connection.received.some((m) => m.type === 'unsub')).toBe(false);
    expect(client.isConnected).toBe(true);

    subB.close();
    expect(await connection.next('unsub')).toMatchObject({ room: 'room' });
    expect(server.connections).toHaveLength(1);
  });

  it("close() ends only the handle's consumers and event handlers; the client's stay", async () => {
    const { client, server } = createTestClient();
    const handle = client.handle();
    const byClient: QueueDelivery[] = [];
    const byHandle: QueueDelivery[] = [];
    await client.registerQueue('mine', (d) => void byClient.push(d));
    await handle.registerQueue('its', (d) => void byHandle.push(d));
    const clientStates: string[] = [];
    const handleStates: string[] = [];
    client.on('state', ({ to }) => clientStates.push(to));
    handle.on('state', ({ to }) => handleStates.push(to));
    const connection = server.last!;

    await handle.close();
    expect(await connection.next('qunreg')).toMatchObject({ queue: 'its' });
    expect([...client.actors.consumers.keys()]).toEqual(['mine']);
    connection.send(qmsg('mine', 1));
    expect(await connection.next('qack')).toMatchObject({ deliveryId: 'd1' });
    expect(byClient.map((d) => d.data)).toEqual([1]);
    expect(byHandle).toEqual([]);

    await client.disconnect();
    expect(clientStates).toEqual(['closed']);
    expect(handleStates).toEqual([]);
    expect(connection.received.filter((m) => m.type === 'qunreg')).toHaveLength(1);
  });

  it('a handle that registers a queue the client consumes takes it over: its close() ends it', async () => {
    const { client, server } = createTestClient();
    const got: string[] = [];
    await client.registerQueue('jobs', () => void got.push('client'));
    const handle = client.handle();
    expect(await handle.registerQueue('jobs', () => void got.push('handle'))).toBe('jobs');
    const connection = server.last!;
    connection.send(qmsg('jobs', 1));
    await connection.next('qack');
    expect(got).toEqual(['handle']);
    expect(connection.received.filter((m) => m.type === 'qreg')).toHaveLength(1);
    await handle.close();
    expect(await connection.next('qunreg')).toMatchObject({ queue: 'jobs' });
    expect(client.snapshot().consumers).toEqual({});
  });

  it("close() rejects the handle's pending calls with DISCONNECTED; the client's go on", async () => {
    const { client, server } = createTestClient();
    server.intercept('req', () => true);
    await client.connect();
    const handle = client.handle();
    const byHandle = handle.request('slow', 1);
    const byClient = client.request('slow', 2);
    const registering = handle.registerQueue('', () => undefined);
    await handle.close();
    await expect(byHandle).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(registering).rejects.toMatchObject({ code: 'DISCONNECTED' });
    const connection = server.last!;
    const pending = connection.received.find((m) => m.type === 'req' && m.content === 2);
    connection.send({ type: 'res', id: (pending as { id: string }).id, data: 'answer' });
    expect(await byClient).toBe('answer');
    expect(client.isConnected).toBe(true);
  });

  it("client.disconnect() settles a handle's pending calls as it does the client's", async () => {
    const { client, server } = createTestClient();
    server.intercept('req', () => true);
    server.intercept('qpub', () => true);
    await client.connect();
    const handle = client.handle();
    const sub = handle.subscribe('room');
    await sub.ready();
    const calls = [
      handle.request('slow', 1),
      handle.rpc('jobs', 1),
      handle.queueMessage('jobs', 2),
      client.request('slow', 3),
    ];
    const stopped = nextEvent(handle, 'disconnected');
    await client.disconnect();
    const results = await Promise.allSettled(calls);
    expect(results.map((r) => r.status === 'rejected' && r.reason.code)).toEqual([
      'DISCONNECTED',
      'DISCONNECTED',
      'DISCONNECTED',
      'DISCONNECTED',
    ]);
    expect(await stopped).toMatchObject({ willReconnect: false });
    expect(sub.state).toBe('unsubscribed');
    expect(handle.closed).toBe(false);

    // Like the client, an open handle works again after a later connect.
    server.intercept('req', undefined);
    server.on('echo', (content) => content);
    expect(await handle.request('echo', 'again')).toBe('again');
  });

  it('a closed handle refuses further use with DISCONNECTED', async () => {
    const { client } = createTestClient();
    const handle = client.handle();
    await handle.disconnect();
    expect(handle.closed).toBe(true);
    expect(() => handle.subscribe('room')).toThrow(
      expect.objectContaining({ code: 'DISCONNECTED' }),
    );
    expect(() => handle.on('state', () => undefined)).toThrow('client handle closed');
    await expect(handle.publish('room', 'e', 1)).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(handle.registerQueue('q', () => undefined)).rejects.toMatchObject({
      code: 'DISCONNECTED',
    });
    expect(client.state).toBe('idle');
    // Another handle, and the client itself, are unaffected.
    const next = handle.handle();
    expect(next.closed).toBe(false);
    await next.connect();
    expect(client.isConnected).toBe(true);
  });

  it('are cheap: 1,000 handles on one room make one subscription, and leave nothing behind', async () => {
    const { client, server } = createTestClient();
    const handles = Array.from({ length: 1000 }, () => client.handle());
    const subscriptions = handles.map((handle) => handle.subscribe('busy'));
    await Promise.all(subscriptions.map((s) => s.ready()));
    const connection = server.last!;
    expect(connection.received.filter((m) => m.type === 'sub')).toHaveLength(1);
    await Promise.all(handles.map((handle) => handle.close()));
    expect(await connection.next('unsub')).toMatchObject({ room: 'busy' });
    expect(client.snapshot().subscriptions).toEqual({});
  });
});
