import { StatewireError } from './StatewireError.js';

/** Thrown by a token function to end the session for good (SPEC §4). */
export class UnauthorizedError extends StatewireError {
  constructor(message = 'unauthorized') {
    super('UNAUTHORIZED', message);
    this.name = 'UnauthorizedError';
  }
}
