import { expect, it } from 'vitest';
import type { ServerMessage } from '../../src/protocol/frames.js';
import { createTestClient, nextEvent } from '../../src/testing/index.js';

it('a server frame with items that are not messages is reported, and the rest still counts', async () => {
  const { client, server } = createTestClient({ uid: 'alice' });
  const connected = client.connect();
  const connection = await server.nextConnection();
  await connected;
  const error = nextEvent(client, 'error');
  const pong = client.ping();
  const ping = await connection.next('ping');
  connection.send([
    null,
    42,
    { type: 'pong', id: (ping as { id: number }).id },
  ] as never as ServerMessage[]);
  expect(await error).toMatchObject({ code: 'BAD_REQUEST', recoverable: true });
  await expect(pong).resolves.toBeTypeOf('number');
  expect(client.isConnected).toBe(true);
  await client.disconnect();
});
