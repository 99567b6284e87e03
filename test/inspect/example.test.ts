import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { run, stop } from '../cli/processes.js';

/*
 * examples/inspect.ts with @statelyai/inspect's WebSocket inspector pointed at a relay of the
 * test's own (no network): what the inspector streams shows the actors and no token.
 */

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('examples/inspect.ts', () => {
  it('streams the client actors to the inspector, without tokens', async () => {
    const relay = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise((resolve) => relay.close(resolve)));
    await new Promise((resolve) => relay.once('listening', resolve));
    const received: string[] = [];
    const inspectorDone = new Promise<void>((resolve) => {
      relay.on('connection', (socket) => {
        socket.on('message', (data) => received.push(String(data)));
        socket.on('close', () => resolve());
      });
    });

    const { port } = relay.address() as AddressInfo;
    const example = run(['examples/inspect.ts', '--once'], {
      env: { INSPECTOR_URL: `ws://127.0.0.1:${port}` },
    });
    cleanups.push(() => stop(example));
    expect(await example.exit, example.stderr.join('\n')).toEqual({ code: 0, signal: null });
    await inspectorDone;

    expect(example.stdout).toContain('client reconnecting → connecting');
    const events = received.map((text) => JSON.parse(text));
    const snapshots = events.filter((e) => e.type === '@xstate.snapshot');
    const values = snapshots.map((e) => JSON.stringify(e.snapshot?.value));
    expect(values).toEqual(
      expect.arrayContaining([
        '{"online":{"connected":"waiting"}}',
        '"reconnecting"',
        '{"session":"scheduled"}',
        '"subscribed"',
        // the end of the run: the events went out before the example stopped the inspector
        '"unsubscribed"',
      ]),
    );
    expect(events.some((e) => e.type === '@xstate.event')).toBe(true);
    expect(received.filter((text) => text.includes('example-token'))).toEqual([]);
  });
});
