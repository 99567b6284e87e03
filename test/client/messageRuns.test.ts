import { expect, it } from 'vitest';
import type { Message } from '../../src/index.js';
import type { ServerMessage } from '../../src/protocol/frames.js';
import { createTestClient, nextEvent } from '../../src/testing/index.js';

/* `msgs` runs (hello.features): room messages in a row that share room, epoch, event, sender. */

async function subscribed() {
  const { client, server } = createTestClient({ uid: 'alice' });
  const got: Message[] = [];
  const sub = client.subscribe('r', (m) => got.push(m));
  await sub.ready();
  return { client, sub, got, connection: server.last!, epoch: server.epoch };
}

it('the client asks for runs, and reads each entry as the msg it stands for', async () => {
  const { client, sub, got, connection, epoch } = await subscribed();
  expect(connection.received[0]).toMatchObject({ features: ['acks', 'msgs'] });
  const byEvent: Message[] = [];
  client.onEvent('e', (m) => byEvent.push(m));
  const recovered: unknown[] = [];
  sub.on('recovered', (info) => recovered.push(info));
  const last = new Promise((resolve) => sub.on('message', (m) => m.id === 'm-4' && resolve(m)));
  connection.send([
    {
      type: 'msgs',
      room: 'r',
      epoch,
      event: 'e',
      from: 'bob',
      msgs: [
        { content: 1, offset: 1, id: 'm-1' },
        { content: 2, offset: 2, id: 'm-2' },
        // Seen already: dropped like a `msg` would be.
        { content: 2, offset: 2, id: 'm-2' },
      ],
    },
    {
      type: 'msgs',
      room: 'r',
      epoch: 'later',
      event: 'x',
      msgs: [{ content: 3, offset: 1, id: 'm-4' }],
    },
  ]);
  await last;
  expect(got).toEqual([
    { room: 'r', event: 'e', content: 1, offset: 1, id: 'm-1', from: 'bob' },
    { room: 'r', event: 'e', content: 2, offset: 2, id: 'm-2', from: 'bob' },
    { room: 'r', event: 'x', content: 3, offset: 1, id: 'm-4' },
  ]);
  expect(byEvent.map((m) => m.id)).toEqual(['m-1', 'm-2']);
  // The second run came in a new epoch: the app is told, as with `msg`.
  expect(recovered).toEqual([{ recovered: false, missed: 0 }]);
  await client.disconnect();
});

it('a msgs item whose msgs is not a list of objects is reported, and the rest still counts', async () => {
  const { client, got, connection, epoch } = await subscribed();
  const errors: unknown[] = [];
  client.on('error', (error) => errors.push(error));
  const reported = nextEvent(client, 'error', () => errors.length === 3);
  const run = { type: 'msgs', room: 'r', epoch, event: 'e' };
  connection.send([
    { ...run, msgs: 'nope' },
    { ...run, msgs: [{ content: 1, offset: 1, id: 'a' }, null] },
    { ...run },
    { ...run, msgs: [{ content: 2, offset: 2, id: 'b' }] },
  ] as never as ServerMessage[]);
  await reported;
  expect(errors).toHaveLength(3);
  expect(errors[0]).toMatchObject({ code: 'BAD_REQUEST', recoverable: true });
  expect(got.map((m) => m.id)).toEqual(['b']);
  expect(client.isConnected).toBe(true);
  await client.disconnect();
});
