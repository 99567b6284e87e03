import { describe, expect, it } from 'vitest';
import { client, startServer } from './e2eHelpers.js';

/** An array nested `depth` levels around 1, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('the client refuses content nested deeper than 64 levels', () => {
  it('publish, request, queueMessage and rpc reject BAD_REQUEST and send nothing; send throws', async () => {
    const server = await startServer();
    let requests = 0;
    server.on('echo', (content) => {
      requests++;
      return content;
    });
    const alice = client({ url: server.url, uid: 'alice' });
    await alice.subscribe('room').ready();
    const deep = nested(65) as never;
    const refused = { code: 'BAD_REQUEST', message: 'content is nested deeper than 64 levels' };
    await expect(alice.publish('room', 'e', deep)).rejects.toMatchObject(refused);
    await expect(alice.request('echo', deep)).rejects.toMatchObject(refused);
    expect(() => alice.send('echo', deep)).toThrow(/nested deeper than 64/);
    await expect(alice.queueMessage('jobs', deep)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(alice.rpc('jobs', deep)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await alice.request('echo', nested(64) as never)).toEqual(nested(64));
    const ack = await alice.publish('room', 'e', nested(64) as never);
    expect(ack.offset).toBe(1);
    expect(requests).toBe(1);
  });
});
