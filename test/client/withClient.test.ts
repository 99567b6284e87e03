import { describe, expect, it } from 'vitest';
import { withClient } from '../../src/index.js';
import { FakeServer, SimulatedClock } from '../../src/testing/index.js';

function options(server: FakeServer) {
  return { url: 'memory://statewire', transport: server.transport, clock: new SimulatedClock() };
}

describe('withClient', () => {
  it('runs fn, returns its result and disconnects', async () => {
    const server = new FakeServer();
    let seen: { state: string } | undefined;
    const result = await withClient(options(server), async (client) => {
      await client.subscribe('news').ready();
      seen = client;
      return 'done';
    });
    expect(result).toBe('done');
    expect(seen?.state).toBe('closed');
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0].closed).toBe(true);
  });

  it('disconnects also when fn throws, and rethrows its error', async () => {
    const server = new FakeServer();
    const failure = new Error('boom');
    let seen: { state: string } | undefined;
    const run = withClient(options(server), async (client) => {
      seen = client;
      await client.connect();
      throw failure;
    });
    await expect(run).rejects.toBe(failure);
    expect(seen?.state).toBe('closed');
    expect(server.connections[0].closed).toBe(true);
  });

  it('does not open a socket by itself (lazy)', async () => {
    const server = new FakeServer();
    const state = await withClient(options(server), (client) => client.state);
    expect(state).toBe('idle');
    expect(server.connections).toHaveLength(0);
  });

  it('pending calls of fn settle DISCONNECTED when fn returns without awaiting them', async () => {
    const server = new FakeServer();
    server.intercept('req', () => true); // never answered
    let pending: Promise<unknown> | undefined;
    await withClient(options(server), async (client) => {
      await client.connect();
      pending = client.request('never', null);
      await server.last!.next('req');
    });
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });
});
