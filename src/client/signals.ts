import type { StatewireError } from '../errors/StatewireError.js';
import { Emitter } from './emitter.js';

/**
 * What the data path asks of the connection: the client's only back-edges. The data-path parts
 * emit them; the client connects them to the connection once every part exists.
 */
export interface DataPathSignals {
  /** A call was made while stopped: open the connection (lazy start). */
  wake: undefined;
  /** A call was answered TOKEN_EXPIRED: refresh the token (then `Calls.onTokenRefreshed`). */
  tokenExpired: undefined;
  /** A buffered fire-and-forget `send` could not go out (it has no promise to reject). */
  sendFailed: StatewireError;
}

export type Signals = Emitter<DataPathSignals>;

export function createSignals(): Signals {
  return new Emitter<DataPathSignals>();
}
