import type { IncomingMessage } from 'node:http';
import { nanoid } from 'nanoid';
import { StatewireError } from '../../errors/StatewireError.js';
import type { BrokerCore } from '../core.js';
import { verifyToken } from '../handshake.js';

/** Who makes an HTTP call, and what its rate limit is counted against. */
export interface Caller {
  uid: string;
  /** `uid:<uid>`, or `ip:<address>` for an anonymous caller that was assigned a uid. */
  limitKey: string;
}

export const UID_HEADER = 'x-statewire-uid';

function unauthorized(message: string): StatewireError {
  return new StatewireError('UNAUTHORIZED', message);
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function statedUid(req: IncomingMessage): string | undefined {
  const value = req.headers[UID_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > 1024) {
    throw new StatewireError('BAD_REQUEST', `header ${UID_HEADER} must be 1 to 1024 characters`);
  }
  return value;
}

/**
 * Signs in one HTTP call the way `hello` signs in a socket: token auth checks the bearer
 * token with the same `verifyToken`; without auth the stated (or an assigned) uid is taken.
 * Challenge/response needs a round trip on a socket, so a server with only that refuses.
 * `authorize(uid, 'connect', uid)` applies as it does at sign-in.
 */
export async function identify(core: BrokerCore, req: IncomingMessage): Promise<Caller> {
  const auth = core.options.auth;
  let uid: string;
  let limitKey: string;
  if (auth?.verifyToken) {
    const token = bearerToken(req);
    if (token === undefined) throw unauthorized('an Authorization: Bearer token is required');
    uid = (await verifyToken(auth, token, core.options.now)).uid;
    limitKey = `uid:${uid}`;
  } else if (auth?.challenge) {
    throw unauthorized('challenge/response auth is only available on a WebSocket');
  } else {
    const stated = statedUid(req);
    uid = stated ?? nanoid();
    limitKey = stated === undefined ? `ip:${req.socket.remoteAddress}` : `uid:${uid}`;
  }
  if (!(await core.allowed(uid, 'connect', uid))) {
    throw new StatewireError('FORBIDDEN', 'connection refused');
  }
  if (limitKey.startsWith('uid:')) core.rememberUid(uid);
  return { uid, limitKey };
}
