import { nanoid } from 'nanoid';
import type { ErrorCode } from '../errors/codes.js';
import { StatewireError } from '../errors/StatewireError.js';
import { CLOSE } from '../protocol/closeCodes.js';
import { decodeFrame } from '../protocol/codec.js';
import type { AuthMsg, ClientMessage, HelloMsg } from '../protocol/frames.js';
import { parseClientMessage } from '../protocol/validate.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { ServerAuth, VerifiedToken } from './options.js';
import type { SessionPort } from './sessionPort.js';
import { errorFrame } from './wire.js';

/**
 * Checks a token with `auth.verifyToken`; throws TOKEN_EXPIRED or UNAUTHORIZED. `now` is the
 * server's clock (ms since epoch), read once verification is done.
 */
export async function verifyToken(
  auth: ServerAuth,
  token: string,
  now: () => number,
): Promise<VerifiedToken> {
  let verified: VerifiedToken | null | undefined;
  try {
    verified = await auth.verifyToken?.(token);
  } catch (error) {
    if (error instanceof StatewireError && error.code === 'TOKEN_EXPIRED') throw error;
    throw new StatewireError('UNAUTHORIZED', 'invalid token', { cause: error });
  }
  if (!verified || typeof verified.uid !== 'string' || verified.uid === '') {
    throw new StatewireError('UNAUTHORIZED', 'invalid token');
  }
  if (verified.expiresAt !== undefined && verified.expiresAt <= now()) {
    throw new StatewireError('TOKEN_EXPIRED', 'token expired');
  }
  return verified;
}

/** Any frame that is not the one the handshake waits for: BAD_REQUEST, then 1008. */
function refuseFrame(conn: SessionPort, message: string): void {
  conn.sendNow(errorFrame({ code: 'BAD_REQUEST', message }));
  conn.close(CLOSE.POLICY_VIOLATION, 'BAD_REQUEST');
}

function refuseAuth(conn: SessionPort, code: ErrorCode, message: string): void {
  if (!conn.isLive) return;
  conn.sendNow(errorFrame({ code, message }));
  conn.signal({ type: 'AUTH_FAILED', code });
}

function refuseWith(conn: SessionPort, error: unknown): void {
  const known = error instanceof StatewireError ? error : null;
  if (!known) conn.core.reportError(error, 'auth');
  refuseAuth(conn, known?.code ?? 'UNAUTHORIZED', known?.message ?? 'unauthorized');
}

/** A frame that arrives before `welcome`: only `hello`, then (challenge auth) `auth`. */
export function handshakeFrame(conn: SessionPort, text: string): void {
  let message: ClientMessage;
  try {
    const messages = decodeFrame(text);
    if (messages.length !== 1) throw new StatewireError('BAD_REQUEST', 'frame before auth');
    message = parseClientMessage(messages[0]);
  } catch (error) {
    refuseFrame(conn, error instanceof StatewireError ? error.message : 'frame before auth');
    return;
  }
  if (message.type === 'hello' && conn.awaitsHello) {
    hello(conn, message).catch((error) => refuseWith(conn, error));
  } else if (message.type === 'auth' && conn.awaitsSignature) {
    signature(conn, message).catch((error) => refuseWith(conn, error));
  } else {
    refuseFrame(conn, 'frame before auth');
  }
}

async function hello(conn: SessionPort, msg: HelloMsg): Promise<void> {
  if (msg.v !== PROTOCOL_VERSION) {
    conn.sendNow(
      errorFrame({ code: 'BAD_REQUEST', message: `unsupported protocol version ${msg.v}` }),
    );
    conn.close(CLOSE.PROTOCOL_ERROR, 'UNSUPPORTED_VERSION');
    return;
  }
  conn.useHello(msg);
  const auth = conn.core.options.auth;
  if (msg.token !== undefined && auth?.verifyToken) {
    conn.signal({ type: 'HELLO', mode: 'token' });
    const verified = await verifyToken(auth, msg.token, conn.core.options.now);
    return signIn(conn, verified.uid, verified.expiresAt);
  }
  if (auth?.challenge && auth.verify) {
    conn.signal({ type: 'HELLO', mode: 'challenge' });
    if (msg.uid === undefined) {
      return refuseAuth(conn, 'UNAUTHORIZED', 'challenge auth needs a uid in hello');
    }
    const base = await auth.challenge(msg.uid);
    // The nonce makes every challenge unique, so a signature cannot be replayed.
    const text = `${base}.${nanoid()}`;
    conn.holdChallenge({ uid: msg.uid, text });
    if (conn.isLive) conn.sendNow(JSON.stringify({ type: 'challenge', challenge: text }));
    return;
  }
  if (auth?.verifyToken) {
    conn.signal({ type: 'HELLO', mode: 'token' });
    return refuseAuth(conn, 'UNAUTHORIZED', 'token required');
  }
  conn.signal({ type: 'HELLO', mode: 'none' });
  return msg.uid === undefined ? signIn(conn, nanoid(), undefined, false) : signIn(conn, msg.uid);
}

async function signature(conn: SessionPort, msg: AuthMsg): Promise<void> {
  const pending = conn.takeChallenge();
  const verify = conn.core.options.auth?.verify;
  conn.signal({ type: 'SIGNATURE' });
  if (!pending || !verify) return refuseAuth(conn, 'UNAUTHORIZED', 'no challenge pending');
  let ok = false;
  try {
    ok = (await verify(pending.uid, msg.signature, pending.text)) === true;
  } catch (error) {
    conn.core.reportError(error, 'auth.verify');
  }
  if (!ok) return refuseAuth(conn, 'UNAUTHORIZED', 'invalid signature');
  return signIn(conn, pending.uid);
}

async function signIn(
  conn: SessionPort,
  uid: string,
  expiresAt?: number,
  claimsUidRoom = true,
): Promise<void> {
  const { core } = conn;
  const allowed = await core.allowed(uid, 'connect', uid);
  if (!conn.isLive) return;
  if (!allowed) return refuseAuth(conn, 'FORBIDDEN', 'connection refused');
  conn.bindUid(uid);
  core.signedIn(uid, claimsUidRoom);
  // Every session is a member of its own uid room; direct messages wait for the welcome.
  const { membership, ready } = conn.enterRoom(uid);
  membership.hold();
  try {
    await ready;
    await core.engine.join(uid, uid, conn.session);
  } catch (error) {
    core.reportError(error, 'sign in');
    return refuseAuth(conn, 'UNAVAILABLE', 'broker unavailable');
  }
  if (!conn.isLive) return;
  conn.signal({
    type: 'AUTH_OK',
    uid,
    tokenTtlMs: expiresAt === undefined ? undefined : expiresAt - conn.core.options.now(),
  });
  const welcome: Record<string, unknown> = {
    type: 'welcome',
    v: PROTOCOL_VERSION,
    uid,
    session: conn.session,
    heartbeatMs: core.options.heartbeatMs,
    maxPayload: core.options.maxPayload,
  };
  if (expiresAt !== undefined) welcome.expiresAt = expiresAt;
  conn.sendNow(JSON.stringify(welcome));
  membership.release(null);
}
