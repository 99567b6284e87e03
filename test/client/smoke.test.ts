import { describe, expect, it } from 'vitest';
import { createTestClient } from '../../src/testing/index.js';

describe('smoke', () => {
  it('connects, subscribes, publishes, receives', async () => {
    const { client, server } = createTestClient({ uid: 'alice' });
    const events: string[] = [];
    client.on('state', ({ from, to }) => events.push(`${from}->${to}`));
    await client.connect();
    expect(client.state).toBe('connected');
    const got: unknown[] = [];
    const sub = client.subscribe('room1', (m) => got.push(m));
    await sub.ready();
    const ack = await client.publish('room1', 'hi', { a: 1 });
    expect(ack.offset).toBe(1);
    expect(got).toEqual([
      { room: 'room1', event: 'hi', content: { a: 1 }, offset: 1, id: ack.id, from: 'alice' },
    ]);
    expect(await client.ping()).toBe(0);
    await client.disconnect();
    expect(events).toEqual([
      'idle->connecting',
      'connecting->authenticating',
      'authenticating->connected',
      'connected->closed',
    ]);
    expect(server.connections.length).toBe(1);
  });
});
