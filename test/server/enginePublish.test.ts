import { afterEach, describe, expect, it } from 'vitest';
import type { PublishInput } from '../../src/engines/Engine.js';
import { immediatePublishOf } from '../../src/engines/immediatePublish.js';
import { memoryEngine } from '../../src/server/index.js';
import { closeServers, signIn, startServer } from './helpers.js';

afterEach(closeServers);

describe('the engine publish the broker calls', () => {
  it('is the memory engine’s own, answered without a promise', async () => {
    const engine = memoryEngine();
    const publishNow = immediatePublishOf(engine);
    expect(publishNow).toBeTypeOf('function');
    const stored = publishNow?.({ room: 'r', event: 'e', content: 1, id: 'm1' });
    expect(stored).toMatchObject({ room: 'r', offset: 1, id: 'm1' });
    expect(await engine.publish({ room: 'r', event: 'e', content: 1, id: 'm1' })).toEqual(stored);
  });

  it('is a wrapper’s override when the wrapper spreads the memory engine', async () => {
    const inner = memoryEngine();
    const seen: PublishInput[] = [];
    const engine = {
      ...inner,
      publish(input: PublishInput) {
        seen.push(input);
        return inner.publish(input);
      },
    };
    expect(immediatePublishOf(engine)).toBeUndefined();
    const server = await startServer({ engine });
    const alice = await signIn(server.url, 'alice');
    const ack = await alice.request({ type: 'pub', room: 'alice', event: 'e', content: 2 });
    expect(ack.data).toMatchObject({ offset: 1 });
    expect(seen).toMatchObject([{ room: 'alice', event: 'e', content: 2, from: 'alice' }]);
  });
});
