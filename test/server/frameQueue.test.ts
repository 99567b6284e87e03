import { describe, expect, it } from 'vitest';
import { FrameQueue } from '../../src/server/frameQueue.js';

const items = (frames: string[]) => frames.flatMap((frame) => [JSON.parse(frame)].flat());

describe('FrameQueue', () => {
  it('gathers acks in a row of one epoch into one item, in its place among the others', () => {
    const queue = new FrameQueue();
    queue.push('{"type":"msg","offset":1}');
    queue.ack(1, 1, 'E');
    queue.ack('two', 2, 'E');
    queue.ack(3, 3, 'F');
    queue.push('{"type":"msg","offset":4}');
    queue.ack(4, 4, 'F');
    expect(items(queue.take())).toEqual([
      { type: 'msg', offset: 1 },
      { type: 'acks', epoch: 'E', ids: [1, 'two'], offsets: [1, 2] },
      { type: 'acks', epoch: 'F', ids: [3], offsets: [3] },
      { type: 'msg', offset: 4 },
      { type: 'acks', epoch: 'F', ids: [4], offsets: [4] },
    ]);
    expect(queue.isEmpty).toBe(true);
  });

  it('an acks item holds at most 256 acks', () => {
    const queue = new FrameQueue();
    for (let i = 1; i <= 300; i++) queue.ack(i, i, 'E');
    const taken = items(queue.take());
    expect(taken.map((item) => item.ids.length)).toEqual([256, 44]);
    expect(taken.flatMap((item) => item.offsets)).toEqual(
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
  });

  it('one item leaves as is; more leave as batches bounded in count and bytes', () => {
    const queue = new FrameQueue();
    queue.push('{"a":1}');
    expect(queue.take()).toEqual(['{"a":1}']);
    const big = `{"x":"${'y'.repeat(40 * 1024)}"}`;
    queue.push(big);
    queue.push(big);
    for (let i = 0; i < 300; i++) queue.push('{"n":1}');
    const frames = queue.take();
    expect(frames[0]).toBe(big);
    expect(JSON.parse(frames[1])).toHaveLength(256);
    expect(items(frames)).toHaveLength(302);
    queue.ack(1, 1, 'E');
    queue.clear();
    expect(queue.isEmpty).toBe(true);
    expect(queue.take()).toEqual([]);
  });
});
