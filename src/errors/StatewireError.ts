import { type ErrorCode, RECOVERABLE } from './codes.js';

/** The one error type of statewire; wire errors map to it one to one by `code`. */
export class StatewireError extends Error {
  readonly code: ErrorCode;
  readonly recoverable: boolean;

  constructor(code: ErrorCode, message: string = code, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StatewireError';
    this.code = code;
    this.recoverable = RECOVERABLE[code];
  }

  /** The shape an error takes inside a frame. */
  toWire(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}
