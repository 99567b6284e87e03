import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { HistoryQuery, StoredMessage, StoredPage } from '../../src/engines/Engine.js';
import { RoomFeed } from '../../src/engines/redis/roomFeed.js';
import { type DecodedEntry, decodeEntry } from '../../src/engines/redis/roomStore.js';

const EPOCH = 'E1';
const body = (id: string) => `["e","${id}"]\t"${id}"`;
const entry = (offset: number): DecodedEntry =>
  decodeEntry('r', EPOCH, offset, 1000, body(`m${offset}`));
/** A channel message as the publish script sends it. */
const live = (first: number, bodies: string[]) =>
  `m${first}:${bodies.length}:${EPOCH}:1000\n${bodies.join('\n')}`;

/** A feed on a room at `top`, whose history holds offsets 1..top and whatever is added. */
async function feedAt(top: number) {
  const stored = new Map<number, StoredMessage>();
  for (let o = 1; o <= top; o++) stored.set(o, entry(o).message);
  const reads: HistoryQuery[] = [];
  const read = async (_room: string, query: HistoryQuery): Promise<StoredPage> => {
    reads.push(query);
    const newest = Math.max(0, ...stored.keys());
    const after = query.since?.offset ?? newest;
    const messages = [...stored.values()].filter((m) => m.offset > after);
    return { epoch: EPOCH, offset: newest, messages, complete: true };
  };
  const feed = new RoomFeed('r', read, new SimulatedClock());
  const handed: Array<[number, string | undefined]> = [];
  feed.listeners.add({
    message: (m, json) => handed.push([m.offset, json]),
    presence: () => {},
  });
  await feed.seed();
  reads.length = 0;
  const add = (o: number) => stored.set(o, entry(o).message);
  return { feed, handed, reads, add };
}

describe('RoomFeed: messages this node stored', () => {
  it('hands them over at once and skips their channel copy without decoding it', async () => {
    const { feed, handed } = await feedAt(2);
    feed.stored([entry(3), entry(4)]);
    expect(handed).toEqual([
      [3, '"m3"'],
      [4, '"m4"'],
    ]);
    // Bodies that are not even JSON: the header alone tells they were handed over.
    expect(() => feed.receive(live(3, ['not json', 'not json']))).not.toThrow();
    feed.receive(live(5, [body('m5')]));
    expect(handed.map(([offset]) => offset)).toEqual([3, 4, 5]);
  });

  it('leaves them to the channel when another node stored messages before them', async () => {
    const { feed, handed, reads } = await feedAt(2);
    feed.stored([entry(4)]);
    expect(handed).toEqual([]);
    feed.receive(live(3, [body('m3')]));
    feed.receive(live(4, [body('m4')]));
    expect(handed.map(([offset]) => offset)).toEqual([3, 4]);
    expect(reads).toEqual([]);
  });

  it('leaves them to the channel while it catches up', async () => {
    const { feed, handed, add } = await feedAt(2);
    add(3);
    add(4);
    feed.receive(live(4, [body('m4')]));
    feed.stored([entry(3)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed.map(([offset]) => offset)).toEqual([3, 4]);
  });
});
