import { nanoid } from 'nanoid';
import type { Json, StreamPosition } from '../../protocol/frames.js';
import type { HistoryQuery, PublishInput, StoredMessage, StoredPage } from '../Engine.js';
import type { Keys } from './keys.js';
import type { RedisLink } from './link.js';

export interface RoomLimits {
  size: number;
  /** Bytes a room's history holds at most (bodies plus a fixed overhead per message). */
  maxBytes: number;
  /** Bytes the history of all rooms holds at most, the oldest of any room going first (0: no bound). */
  maxTotalBytes: number;
  ttlMs: number;
  dedupeWindow: number;
  /** How long an idle room keeps its epoch and offsets. */
  metaTtlMs: number;
}

/** Stored values `<at>:<delta>:<body>` of offsets `from`, `from + 1`, … */
type ReadReply = [
  epoch: string,
  top: number,
  firstKept: number,
  from: number,
  values: Array<string | null>,
];
/** Per room: epoch, first new offset, repeats flat as [index, offset, at, stored body]. */
type PublishReply = Array<[epoch: string, first: number, repeats: Array<number | string>]>;

/**
 * What a history value and a channel line hold besides the position: the JSON of
 * [event, id, from?], a tab, the content's JSON (JSON holds no raw tab or newline), so a
 * reader gets the content's JSON without encoding it again.
 */
function encodeBody(input: PublishInput): string {
  const head: string[] = [input.event, input.id];
  if (input.from !== undefined) head.push(input.from);
  return `${JSON.stringify(head)}\t${contentJsonOf(input)}`;
}

/** The content's JSON on one line: only a newline would break the lines a batch travels in. */
function contentJsonOf(input: PublishInput): string {
  const given = input.contentJson;
  return (given && !given.includes('\n') ? given : JSON.stringify(input.content)) ?? 'null';
}

/** A stored message and its content's JSON, as a history value or channel line holds them. */
export interface DecodedEntry {
  message: StoredMessage;
  contentJson: string;
}

export function decodeEntry(
  room: string,
  epoch: string,
  offset: number,
  at: number,
  body: string,
): DecodedEntry {
  const tab = body.indexOf('\t');
  const [event, id, from] = JSON.parse(body.slice(0, tab)) as [string, string, string?];
  const contentJson = body.slice(tab + 1);
  const content = JSON.parse(contentJson) as Json;
  const message: StoredMessage = { room, event, content, offset, epoch, id, at };
  if (from !== undefined) message.from = from;
  return { message, contentJson };
}

/** A value of the history hash: `<at>:<delta>:<body>` (delta: the budget sequence less the offset). */
function decodeStored(room: string, epoch: string, offset: number, value: string): DecodedEntry {
  const a = value.indexOf(':');
  const body = value.indexOf(':', a + 1) + 1;
  return decodeEntry(room, epoch, offset, Number(value.slice(0, a)), value.slice(body));
}

/** The header of a channel message: `m<first offset>:<count>:<epoch>:<at>`. */
export interface LiveHeader {
  first: number;
  last: number;
  epoch: string;
  at: number;
  /** Where the bodies start, one per line. */
  bodies: number;
}

export function liveHeader(raw: string): LiveHeader {
  const end = raw.indexOf('\n');
  const [first, count, epoch, at] = raw.slice(1, end).split(':');
  const offset = Number(first);
  return {
    first: offset,
    last: offset + Number(count) - 1,
    epoch,
    at: Number(at),
    bodies: end + 1,
  };
}

/** The messages of a channel message whose header is `header`. */
export function decodeLive(room: string, raw: string, header: LiveHeader): DecodedEntry[] {
  const lines = raw.slice(header.bodies).split('\n');
  return lines.map((body, i) => decodeEntry(room, header.epoch, header.first + i, header.at, body));
}

/** What a new message was stored as: the input itself with its position (nothing to parse). */
function storedFrom(input: PublishInput, epoch: string, offset: number, at: number): StoredMessage {
  const { room, event, content, id, from } = input;
  const message: StoredMessage = { room, event, content, offset, epoch, id, at };
  if (from !== undefined) message.from = from;
  return message;
}

/** A room's messages this node just stored, as the channel will bring them. */
export type StoredHook = (room: string, entries: DecodedEntry[]) => void;

/** Publishes per script call: bounds how long one script holds Redis. */
const MAX_BATCH = 256;

interface Pending {
  input: PublishInput;
  resolve: (message: StoredMessage) => void;
  reject: (error: unknown) => void;
}

/**
 * History, offsets, epochs and dedupe of every room. Publishes made in one tick (a client
 * frame carries many) go to Redis as one script call: one round trip and one EVALSHA for the
 * batch instead of one per message.
 */
export class RoomStore {
  private batch: Pending[] = [];
  private readonly historyKeys: string[];

  constructor(
    private readonly link: RedisLink,
    private readonly keys: Keys,
    private readonly limits: RoomLimits,
    private readonly now: () => number,
    private readonly stored: StoredHook,
  ) {
    const { totals, rooms, held } = keys.history;
    this.historyKeys = [totals, rooms, held];
  }

  publish(input: PublishInput): Promise<StoredMessage> {
    return new Promise((resolve, reject) => {
      if (this.batch.length === 0) queueMicrotask(() => this.flush());
      this.batch.push({ input, resolve, reject });
    });
  }

  async read(room: string, query: HistoryQuery): Promise<StoredPage> {
    const k = this.keys.room(room);
    const { since } = query;
    const limit = query.limit ?? -1;
    const [epoch, top, firstKept, from, values] = await this.link.script<ReadReply>(
      'swRead',
      [...this.historyKeys, k.meta, k.history, k.dedupe],
      [
        this.limits.maxTotalBytes,
        this.keys.roomBase,
        this.now(),
        this.limits.ttlMs,
        this.limits.metaTtlMs,
        nanoid(12),
        since?.epoch ?? '',
        since?.offset ?? 0,
        limit,
        room,
      ],
    );
    const messages: StoredMessage[] = [];
    // A value is missing only when the history hash went without its meta (expiry, deletion).
    let missing = false;
    values.forEach((value, i) => {
      if (value === null) missing = true;
      else messages.push(decodeStored(room, epoch, from + i, value).message);
    });
    const page = (complete: boolean): StoredPage => ({
      epoch,
      offset: top,
      messages,
      complete: complete && !missing,
    });
    if (!since) return page(firstKept === 1 && messages.length === top);
    if (since.epoch !== epoch || since.offset > top) return page(false);
    return page(since.offset + 1 >= firstKept && since.offset + messages.length === top);
  }

  async position(room: string): Promise<StreamPosition> {
    const page = await this.read(room, { limit: 0 });
    return { epoch: page.epoch, offset: page.offset };
  }

  private flush(): void {
    const pending = this.batch;
    this.batch = [];
    for (let i = 0; i < pending.length; i += MAX_BATCH) this.send(pending.slice(i, i + MAX_BATCH));
  }

  private send(batch: Pending[]): void {
    const at = this.now();
    // Per room, its publishes and their places in the batch.
    const byRoom = new Map<string, { list: Pending[]; places: number[] }>();
    batch.forEach((pending, place) => {
      let group = byRoom.get(pending.input.room);
      if (!group) {
        group = { list: [], places: [] };
        byRoom.set(pending.input.room, group);
      }
      group.list.push(pending);
      group.places.push(place);
    });
    const keys = [...this.historyKeys];
    const args: Array<string | number> = [
      this.limits.maxTotalBytes,
      this.keys.roomBase,
      at,
      this.limits.size,
      this.limits.ttlMs,
      this.limits.dedupeWindow,
      this.limits.metaTtlMs,
      nanoid(12),
      this.limits.maxBytes,
      batch.length,
    ];
    for (const [room, { list, places }] of byRoom) {
      const k = this.keys.room(room);
      keys.push(k.meta, k.history, k.dedupe);
      // A batch of one room needs no places: they are its messages' own order.
      const ids = list.map(({ input }) => JSON.stringify(input.id)).join('\n');
      const bodies = list.map(({ input }) => encodeBody(input)).join('\n');
      args.push(room, k.channel, byRoom.size === 1 ? '' : places.join(','), ids, bodies);
    }
    this.link
      .script<PublishReply>('swPublish', keys, args)
      .then((reply) => {
        let r = 0;
        const handed: Array<[string, DecodedEntry[]]> = [];
        for (const [room, { list }] of byRoom) {
          const entries = settle(list, reply[r++], at);
          if (entries.length > 0) handed.push([room, entries]);
        }
        // Every publish is answered before any feed runs.
        for (const [room, entries] of handed) this.stored(room, entries);
      })
      // Settled publishes ignore it; the rest of a reply that could not be read reject.
      .catch((error) => {
        for (const { reject } of batch) reject(error);
      });
  }
}

/**
 * Answers one room's publishes: new ones in order from `first`, repeats with the first result.
 * Returns the new ones.
 */
function settle(
  list: Pending[],
  [epoch, first, repeats]: PublishReply[number],
  at: number,
): DecodedEntry[] {
  const repeated = new Map<number, number>();
  for (let i = 0; i < repeats.length; i += 4) repeated.set(repeats[i] as number, i);
  const added: DecodedEntry[] = [];
  let next = first;
  list.forEach(({ input, resolve }, index) => {
    const i = repeated.get(index);
    if (i === undefined) {
      const message = storedFrom(input, epoch, next++, at);
      added.push({ message, contentJson: contentJsonOf(input) });
      resolve(message);
      return;
    }
    const [offset, storedAt, body] = repeats.slice(i + 1, i + 4) as [number, number, string];
    // A repeated id answers with the first message, as stored (unless trimmed since).
    if (body === '') resolve(storedFrom(input, epoch, offset, storedAt));
    else resolve(decodeEntry(input.room, epoch, offset, storedAt, body).message);
  });
  return added;
}
