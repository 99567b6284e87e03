import type { StoredMessage } from '../engines/Engine.js';
import type { ErrorCode } from '../errors/codes.js';
import { StatewireError } from '../errors/StatewireError.js';
import type { RequestId, WireError } from '../protocol/frames.js';

/** A stored message as clients see it (in `msg` frames and history pages). */
export function publicMessage(m: StoredMessage) {
  const { room, event, content, offset, epoch, id, from } = m;
  return from === undefined
    ? { room, event, content, offset, epoch, id }
    : { room, event, content, offset, epoch, id, from };
}

/** Encoded once per message and sent as is to every member; literal shapes keep it fast. */
export function encodeRoomMessage(m: StoredMessage): string {
  const { room, event, content, offset, epoch, id, from } = m;
  return JSON.stringify(
    from === undefined
      ? { type: 'msg', room, event, content, offset, epoch, id }
      : { type: 'msg', room, event, content, offset, epoch, id, from },
  );
}

export function failure(code: ErrorCode, message: string): StatewireError {
  return new StatewireError(code, message);
}

/** Anything thrown maps to a wire error; unknown errors become INTERNAL without their text. */
export function toWireError(error: unknown): WireError {
  if (error instanceof StatewireError) return error.toWire();
  return { code: 'INTERNAL', message: 'internal error' };
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
