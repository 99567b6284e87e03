import type { ClientMessage } from '../protocol/frames.js';

/** A client frame as the data path builds it: `Calls` gives a request its id as it leaves. */
export type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Any client frame before it has an id. */
export type OutgoingMessage = Unsent<ClientMessage>;
