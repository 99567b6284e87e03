import { StatewireError } from '../errors/StatewireError.js';

/** One message per frame, or several as a JSON array (a batch). */
export function encodeFrame(messages: object | readonly object[]): string {
  return JSON.stringify(messages);
}

/** Splits a text frame into its messages; throws BAD_REQUEST for anything but objects. */
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
