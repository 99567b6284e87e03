import type { StoredMessage } from '../engines/Engine.js';
import type { ErrorCode } from '../errors/codes.js';
import { StatewireError } from '../errors/StatewireError.js';
import { jsonOf, QuotedLast, quoted } from '../protocol/codec.js';
import type { RequestId, WireError } from '../protocol/frames.js';

/** A stored message as clients see it (in `msg` frames and history pages). */
export function publicMessage(m: StoredMessage) {
  const { room, event, content, offset, epoch, id, from } = m;
  return from === undefined
    ? { room, event, content, offset, epoch, id }
    : { room, event, content, offset, epoch, id, from };
}

const rooms = new QuotedLast();
const events = new QuotedLast();
const epochs = new QuotedLast();
const senders = new QuotedLast();

/**
 * Encoded once per message and sent as is to every member. Written out by hand around the
 * content's JSON (`contentJson`, when the engine has it: the broker encoded it once already),
 * so the content is not encoded a second time.
 */
function encodeRoomMessage(m: StoredMessage, contentJson?: string): string {
  const content = contentJson ?? jsonOf(m.content);
  const from = m.from === undefined ? '' : `,"from":${senders.of(m.from)}`;
  const frame = `{"type":"msg","room":${rooms.of(m.room)},"event":${events.of(m.event)},"content":${content},"offset":${m.offset},"epoch":${epochs.of(m.epoch)},"id":${quoted(m.id)}${from}}`;
  // Flattened once here (V8 does it on a char read), not once per member that joins it in a batch.
  frame.charCodeAt(0);
  return frame;
}

/**
 * A room message as every member gets it, encoded once: its entry in a `msgs` run (what is not
 * the run's: content, offset, id), and for clients without the `msgs` feature the `msg` item,
 * encoded when the first of them asks.
 */
export class EncodedMessage {
  readonly entry: string;
  #item: string | undefined;
  #runHead: string | undefined;
  /** The last `msgs` item this message opened: members that got the same run share it. */
  #run: { entries: readonly string[]; item: string } | undefined;

  constructor(
    readonly message: StoredMessage,
    private readonly contentJson = jsonOf(message.content),
  ) {
    this.entry = `{"content":${contentJson},"offset":${message.offset},"id":${quoted(message.id)}}`;
    this.entry.charCodeAt(0);
  }

  get item(): string {
    this.#item ??= encodeRoomMessage(this.message, this.contentJson);
    return this.#item;
  }

  /**
   * The `msgs` item of a run this message opens, with these entries (this one's first). Every
   * member of a room mostly gets the same run in a turn: it is joined once, and the one string
   * lets the connections share its bytes (`SharedFrames`).
   */
  runItem(entries: readonly string[]): string {
    const last = this.#run;
    if (last !== undefined && sameStrings(last.entries, entries)) return last.item;
    const item = `${this.#head()}${entries.join(',')}]}`;
    this.#run = { entries, item };
    return item;
  }

  #head(): string {
    if (this.#runHead === undefined) {
      const m = this.message;
      const from = m.from === undefined ? '' : `,"from":${senders.of(m.from)}`;
      this.#runHead = `{"type":"msgs","room":${rooms.of(m.room)},"epoch":${epochs.of(m.epoch)},"event":${events.of(m.event)}${from},"msgs":[`;
    }
    return this.#runHead;
  }

  /** Whether this message may join a run opened by `first`: same room, epoch, event, sender. */
  continues(first: StoredMessage): boolean {
    const m = this.message;
    return (
      m.room === first.room &&
      m.epoch === first.epoch &&
      m.event === first.event &&
      m.from === first.from
    );
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function failure(code: ErrorCode, message: string): StatewireError {
  return new StatewireError(code, message);
}

/** Anything thrown maps to a wire error; unknown errors become INTERNAL without their text. */
export function toWireError(error: unknown): WireError {
  if (error instanceof StatewireError) return error.toWire();
  return { code: 'INTERNAL', message: 'internal error' };
}

/** The `res` to a publish: `{offset, epoch, id}` of the stored message (the hot path's answer). */
export function publishAckFrame(id: RequestId, m: StoredMessage): string {
  return `{"type":"res","id":${JSON.stringify(id)},"data":{"offset":${m.offset},"epoch":${quoted(m.epoch)},"id":${quoted(m.id)}}}`;
}

export function resFrame(id: RequestId, data: unknown): string {
  return JSON.stringify({ type: 'res', id, data });
}

export function resErrorFrame(id: RequestId, error: WireError): string {
  return JSON.stringify({ type: 'res', id, error });
}

export function errorFrame(error: WireError, extra?: { id?: RequestId; graceMs?: number }): string {
  return JSON.stringify({ type: 'error', code: error.code, message: error.message, ...extra });
}
