import { afterEach, describe, expect, it } from 'vitest';
import { closeServers, signIn, simulatedTime, startServer } from './helpers.js';
import { call, errorOf } from './httpHelpers.js';

afterEach(closeServers);

describe('HTTP rpc wait', () => {
  it('runs on the server clock: a SimulatedClock ends it, not wall time', async () => {
    const { clock, now } = simulatedTime();
    // The wait outlasts the test's own timeout in wall time; the request deadline is above it.
    const server = await startServer({ clock, now, requestTimeoutMs: 120_000 });
    const worker = await signIn(server.url, 'worker');
    await worker.call({ type: 'qreg', queue: 'slow' });
    const pending = call(server, '/v1/rpc', {
      body: { queue: 'slow', data: 1, timeoutMs: 10_000 },
    });
    await worker.next('qmsg');
    clock.increment(60_000);
    expect(await pending).toMatchObject(errorOf(504, 'TIMEOUT'));
  });
});
