import { describe, expect, it } from 'vitest';
import { createTestClient } from '../../src/testing/index.js';

/* Issue 10's client gaps: a live epoch change is told, a refusal for now is retried. */

describe('subscriptions against a shared engine', () => {
  it('a new epoch while connected is told as recovered: false, never a silent gap', async () => {
    const { client, server } = createTestClient();
    const got: unknown[] = [];
    const sub = client.subscribe('r', (m) => got.push(m.content));
    const recovered: unknown[] = [];
    sub.on('recovered', (info) => recovered.push(info));
    await sub.ready();
    server.publish('r', 'e', 'old');
    server.loseHistory();
    server.publish('r', 'e', 'new');
    await new Promise((resolve) => sub.on('message', (m) => m.content === 'new' && resolve(m)));
    expect(got).toEqual(['old', 'new']);
    expect(recovered).toEqual([{ recovered: false, missed: 0 }]);
  });

  it('a subscribe refused with UNAVAILABLE is asked again after a backoff', async () => {
    const { client, server, clock } = createTestClient();
    let refusals = 1;
    server.intercept('sub', (message, connection) => {
      if (refusals-- <= 0) return false;
      connection.send({
        type: 'res',
        id: message.id,
        error: { code: 'UNAVAILABLE', message: 'redis away' },
      });
      return true;
    });
    const sub = client.subscribe('r');
    const states: string[] = [];
    sub.on('state', ({ to }) => states.push(to));
    await client.connect();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sub.state).toBe('subscribing');
    clock.increment(500);
    await sub.ready();
    expect(states).toEqual(['subscribed']);
  });
});
