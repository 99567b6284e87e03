import { StatewireError } from '../errors/StatewireError.js';

/** One message per frame, or several as a JSON array (a batch). */
export function encodeFrame(messages: object | readonly object[]): string {
  return JSON.stringify(messages);
}

/**
 * Splits a text frame into its items; throws BAD_REQUEST for invalid JSON or an empty batch.
 * Items are not checked here: the receiver answers each bad one on its own (`isMessageShaped`).
 */
export function decodeFrame(text: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StatewireError('BAD_REQUEST', 'frame is not valid JSON');
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  if (messages.length === 0) throw new StatewireError('BAD_REQUEST', 'empty batch');
  return messages;
}

/** Whether a decoded item can be a message at all: an object with a string `type`. */
export function isMessageShaped(item: unknown): item is { type: string } {
  return (
    typeof item === 'object' &&
    item !== null &&
    !Array.isArray(item) &&
    typeof (item as { type?: unknown }).type === 'string'
  );
}

/**
 * Whether a decoded server item can be a message: shaped as one, and a `msgs` run's entries
 * are objects (what each entry holds is read as a `msg` would be).
 */
export function isServerItemShaped(item: unknown): item is { type: string } {
  if (!isMessageShaped(item)) return false;
  if (item.type !== 'msgs') return true;
  const entries = (item as { msgs?: unknown }).msgs;
  if (!Array.isArray(entries)) return false;
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false;
  }
  return true;
}

/** JSON text of a string (quoted and escaped), typed as the string it always is. */
export const quoted = JSON.stringify as (text: string) => string;

/** One field's last value and its JSON: consecutive messages mostly share room, event, epoch, sender. */
export class QuotedLast {
  private raw = '';
  private quoted = '""';

  of(text: string): string {
    if (text !== this.raw) {
      this.raw = text;
      this.quoted = quoted(text);
    }
    return this.quoted;
  }
}

/** JSON text of a value; an absent (`undefined`) one reads as `null`, as it would in a frame. */
export function jsonOf(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}
