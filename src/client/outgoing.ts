import { QuotedLast, quoted } from '../protocol/codec.js';
import type { ClientMessage, PubMsg } from '../protocol/frames.js';

/** A client frame as the data path builds it: `Calls` gives a request its id as it leaves. */
export type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Any client frame before it has an id. */
export type OutgoingMessage = Unsent<ClientMessage>;

const rooms = new QuotedLast();
const events = new QuotedLast();

/**
 * A `pub` as `JSON.stringify` would write it, but for its closing brace (an attempt's id goes
 * there), written around the content's own JSON: no slice of a whole message per publish.
 */
export function pubHead(message: Unsent<PubMsg>): string {
  const content = JSON.stringify(message.content);
  const contentField = content === undefined ? '' : `,"content":${content}`;
  const mid = message.mid === undefined ? '' : `,"mid":${quoted(message.mid)}`;
  return `{"type":"pub","room":${rooms.of(message.room)},"event":${events.of(message.event)}${contentField}${mid}`;
}
