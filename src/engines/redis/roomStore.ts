import { nanoid } from 'nanoid';
import type { Json, StreamPosition } from '../../protocol/frames.js';
import type { HistoryQuery, PublishInput, StoredMessage, StoredPage } from '../Engine.js';
import type { Keys } from './keys.js';
import type { RedisLink } from './link.js';

export interface RoomLimits {
  size: number;
  /** Bytes a room's history holds at most (bodies plus a fixed overhead per message). */
  maxBytes: number;
  ttlMs: number;
  dedupeWindow: number;
  /** How long an idle room keeps its epoch and offsets. */
  metaTtlMs: number;
}

type StreamEntry = [id: string, fields: string[]];
type ReadReply = [epoch: string, top: number, firstKept: number, kept: number, StreamEntry[]];
type PublishReply = Array<[offset: number, epoch: string, at: number, body: string]>;

/** What travels in a stream entry and on the channel besides the position. */
function encodeBody(input: PublishInput): string {
  const body: Json[] = [input.event, input.content, input.id];
  if (input.from !== undefined) body.push(input.from);
  return JSON.stringify(body);
}

export function decodeMessage(
  room: string,
  epoch: string,
  offset: number,
  at: number,
  body: string,
): StoredMessage {
  const [event, content, id, from] = JSON.parse(body) as [string, Json, string, string?];
  const message: StoredMessage = { room, event, content, offset, epoch, id, at };
  if (from !== undefined) message.from = from;
  return message;
}

/** Parses a channel message `m<offset>:<epoch>:<at>:<body>`. */
export function decodeLive(room: string, raw: string): StoredMessage {
  const first = raw.indexOf(':');
  const second = raw.indexOf(':', first + 1);
  const third = raw.indexOf(':', second + 1);
  return decodeMessage(
    room,
    raw.slice(first + 1, second),
    Number(raw.slice(1, first)),
    Number(raw.slice(second + 1, third)),
    raw.slice(third + 1),
  );
}

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

  constructor(
    private readonly link: RedisLink,
    private readonly keys: Keys,
    private readonly limits: RoomLimits,
    private readonly now: () => number,
  ) {}

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
    const [epoch, top, firstKept, kept, entries] = await this.link.script<ReadReply>(
      'swRead',
      [k.meta, k.history, k.dedupe],
      [
        this.now(),
        this.limits.ttlMs,
        this.limits.metaTtlMs,
        nanoid(12),
        since?.epoch ?? '',
        since?.offset ?? 0,
        limit,
      ],
    );
    const messages = entries.map(([id, fields]) =>
      decodeMessage(room, epoch, Number.parseInt(id, 10), Number(fields[1]), fields[3]),
    );
    const page = (complete: boolean): StoredPage => ({ epoch, offset: top, messages, complete });
    if (!since) {
      messages.reverse();
      return page(firstKept === 1 && messages.length === kept);
    }
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
    const keys: string[] = [];
    const args: Array<string | number> = [
      this.now(),
      this.limits.size,
      this.limits.ttlMs,
      this.limits.dedupeWindow,
      this.limits.metaTtlMs,
      nanoid(12),
      this.limits.maxBytes,
    ];
    const bodies: string[] = [];
    for (const { input } of batch) {
      const k = this.keys.room(input.room);
      const body = encodeBody(input);
      bodies.push(body);
      keys.push(k.meta, k.history, k.dedupe);
      args.push(input.id, body, k.channel);
    }
    this.link.script<PublishReply>('swPublish', keys, args).then(
      (reply) => {
        batch.forEach(({ input, resolve }, i) => {
          const [offset, epoch, at, stored] = reply[i];
          // A repeated id answers with the first message, as stored (unless trimmed since).
          const body = stored === '' ? bodies[i] : stored;
          resolve(decodeMessage(input.room, epoch, offset, at, body));
        });
      },
      (error) => {
        for (const { reject } of batch) reject(error);
      },
    );
  }
}
