import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/engines/Engine.js';
import { FrameQueue } from '../../src/server/frameQueue.js';
import { SharedFrames } from '../../src/server/sharedFrames.js';
import { EncodedMessage } from '../../src/server/wire.js';

const items = (frames: string[]) => frames.flatMap((frame) => [JSON.parse(frame)].flat());

function stored(offset: number, fields: Partial<StoredMessage> = {}): EncodedMessage {
  const message = { room: 'r', event: 'e', content: offset, offset, epoch: 'E', id: `m${offset}` };
  return new EncodedMessage({ ...message, from: 'bob', at: 0, ...fields });
}

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

  it('gathers messages in a row of one room, epoch, event and sender into one msgs item', () => {
    const queue = new FrameQueue();
    queue.message(stored(1));
    queue.message(stored(2));
    queue.message(stored(3, { from: undefined }));
    queue.message(stored(4, { event: 'f', from: undefined }));
    queue.message(stored(1, { epoch: 'F', event: 'f', from: undefined }));
    queue.message(stored(1, { room: 's', epoch: 'F', event: 'f', from: undefined }));
    queue.ack(1, 5, 'E');
    queue.message(stored(5));
    queue.push('{"type":"res","id":2}');
    queue.message(stored(6));
    const run = (fields: object, ...offsets: number[]) => ({
      type: 'msgs',
      room: 'r',
      epoch: 'E',
      event: 'e',
      ...fields,
      msgs: offsets.map((offset) => ({ content: offset, offset, id: `m${offset}` })),
    });
    expect(items(queue.take())).toEqual([
      run({ from: 'bob' }, 1, 2),
      run({}, 3),
      run({ event: 'f' }, 4),
      run({ epoch: 'F', event: 'f' }, 1),
      run({ room: 's', epoch: 'F', event: 'f' }, 1),
      run({ from: 'bob' }, 5),
      { type: 'acks', epoch: 'E', ids: [1], offsets: [5] },
      { type: 'res', id: 2 },
      run({ from: 'bob' }, 6),
    ]);
    expect(queue.isEmpty).toBe(true);
  });

  it('sends the acks of a batch after its messages, without cutting their run', () => {
    const queue = new FrameQueue();
    for (let offset = 1; offset <= 3; offset++) {
      queue.message(stored(offset));
      queue.ack(offset, offset, 'E');
    }
    queue.ack(4, 1, 'F');
    queue.pushMessage('{"type":"msg","offset":2}');
    const taken = items(queue.take());
    // The F ack waits for the message queued after it; the E acks went out before the F run.
    expect(taken.map((item) => item.type)).toEqual(['msgs', 'acks', 'msg', 'acks']);
    expect(taken[0].msgs.map((entry: { offset: number }) => entry.offset)).toEqual([1, 2, 3]);
    expect(taken[1]).toEqual({ type: 'acks', epoch: 'E', ids: [1, 2, 3], offsets: [1, 2, 3] });
    expect(taken[3]).toEqual({ type: 'acks', epoch: 'F', ids: [4], offsets: [1] });
  });

  it('never sends an ack before a message queued before it, and keeps every other order', () => {
    // Each operation is numbered in queue order; what comes out says which one it was.
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('message' as const), room: fc.constantFrom('r', 's') }),
      fc.record({ kind: fc.constant('item' as const) }),
      fc.record({ kind: fc.constant('push' as const) }),
      fc.record({ kind: fc.constant('ack' as const), epoch: fc.constantFrom('E', 'F') }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        const queue = new FrameQueue();
        operations.forEach((op, seq) => {
          if (op.kind === 'message') queue.message(stored(seq, { room: op.room }));
          else if (op.kind === 'item') queue.pushMessage(`{"type":"msg","offset":${seq}}`);
          else if (op.kind === 'push') queue.push(`{"type":"res","id":${seq}}`);
          else queue.ack(seq, seq, op.epoch);
        });
        const sent = items(queue.take()).flatMap((item): Array<[string, number]> => {
          if (item.type === 'msgs')
            return item.msgs.map((m: { offset: number }) => ['m', m.offset]);
          if (item.type === 'msg') return [['m', item.offset]];
          if (item.type === 'acks') return item.ids.map((id: number) => ['a', id]);
          return [['p', item.id]];
        });
        expect(sent.map(([, seq]) => seq).sort((a, b) => a - b)).toEqual(
          operations.map((_, i) => i),
        );
        const at = new Map(sent.map(([, seq], index) => [seq, index]));
        for (const [kind, seq] of sent) {
          for (const [otherKind, other] of sent) {
            if (other >= seq) continue;
            // `other` was queued first: it leaves first, unless it is an ack and `seq` a message.
            const mayOvertake = otherKind === 'a' && kind === 'm';
            if (!mayOvertake) expect(at.get(other)).toBeLessThan(at.get(seq) as number);
          }
        }
      }),
    );
  });

  it('a msgs item holds at most 256 messages and stays under the frame bytes', () => {
    const queue = new FrameQueue();
    for (let i = 1; i <= 300; i++) queue.message(stored(i));
    const taken = items(queue.take());
    expect(taken.map((item) => item.msgs.length)).toEqual([256, 44]);
    const big = (offset: number) => stored(offset, { content: 'y'.repeat(20 * 1024) });
    for (let i = 1; i <= 4; i++) queue.message(big(i));
    const frames = queue.take();
    expect(frames.every((frame) => frame.length < 64 * 1024)).toBe(true);
    expect(items(frames).map((item) => item.msgs.length)).toEqual([3, 1]);
  });

  it('members that got the same run share one msgs item; another run gets its own', () => {
    const messages = [stored(1), stored(2), stored(3)];
    const queues = [new FrameQueue(), new FrameQueue(), new FrameQueue()];
    for (const queue of queues.slice(0, 2)) for (const m of messages) queue.message(m);
    queues[2].message(messages[0]);
    const [a, b, c] = queues.map((queue) => queue.take()[0]);
    expect(b).toBe(a);
    expect(items([c])).toEqual([{ ...JSON.parse(a), msgs: JSON.parse(a).msgs.slice(0, 1) }]);
  });

  it('a frame sent again right after goes as the bytes encoded for the first repeat', () => {
    const frames = new SharedFrames();
    expect(frames.of('{"a":"é"}')).toBe('{"a":"é"}');
    const bytes = frames.of('{"a":"é"}');
    expect(bytes).toEqual(Buffer.from('{"a":"é"}'));
    expect(frames.of('{"a":"é"}')).toBe(bytes);
    expect(frames.of('{"b":1}')).toBe('{"b":1}');
  });

  it('a message leaves as a msg item, encoded once, for a client without runs', () => {
    const message = stored(7);
    expect(message.item).toBe(message.item);
    expect(JSON.parse(message.item)).toEqual({
      type: 'msg',
      room: 'r',
      event: 'e',
      content: 7,
      offset: 7,
      epoch: 'E',
      id: 'm7',
      from: 'bob',
    });
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
