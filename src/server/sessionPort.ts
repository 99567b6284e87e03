import type { StoredMessage } from '../engines/Engine.js';
import type { SessionEvent } from '../machines/serverSession.js';
import type { HelloMsg, RequestId } from '../protocol/frames.js';
import type { BrokerCore } from './core.js';
import type { FrameSink, Membership } from './membership.js';
import type { ConnectionQueues } from './queues/connectionQueues.js';

/** A challenge sent in answer to `hello`, waiting for the client's signature. */
export interface PendingChallenge {
  uid: string;
  text: string;
}

/**
 * What the handshake and the request handlers may do with one client session. `Connection`
 * implements it; they see nothing else of it, and change its state only through these calls.
 */
export interface SessionPort extends FrameSink {
  readonly session: string;
  readonly core: BrokerCore;
  /** The signed-in uid; null before sign-in. */
  readonly uid: string | null;
  readonly isLive: boolean;
  /** The session machine waits for `hello`. */
  readonly awaitsHello: boolean;
  /** The session machine waits for the signature of a challenge. */
  readonly awaitsSignature: boolean;
  readonly tokenExpired: boolean;
  readonly memberships: ReadonlyMap<string, Membership>;
  readonly queues: ConnectionQueues;

  /** The session belongs to `uid` from now on. */
  bindUid(uid: string): void;
  /** Remembers the challenge sent, until `takeChallenge`. */
  holdChallenge(challenge: PendingChallenge): void;
  /** The challenge sent, once: null when none is pending. */
  takeChallenge(): PendingChallenge | null;

  /** Tells the session machine about a lifecycle change. */
  signal(event: SessionEvent): void;
  /** Writes everything queued plus `frame` at once. */
  sendNow(frame: string): void;
  close(code: number, reason: string): void;
  reply(id: RequestId, data: unknown): void;
  /** False when the client's `hello` carried `echo: false`: its publishes are not sent back. */
  readonly echoes: boolean;
  /** What the client's `hello` asks for: the `features` it reads beyond the base, `echo`. */
  useHello(hello: HelloMsg): void;
  /** Answers a stored publish (`res`, or within an `acks` item). */
  ackPublish(id: RequestId, mid: string | undefined, message: StoredMessage): void;
  /** Answers a failed message: `res` error when it had an id, an `error` frame otherwise. */
  fail(id: RequestId | undefined, error: unknown): void;
  /** Runs steps in arrival order (`step(a, b)`); synchronous steps cost nothing. */
  ordered<T, A = undefined, B = undefined>(
    step: (a: A, b: B) => T | Promise<T>,
    a?: A,
    b?: B,
  ): T | Promise<T>;

  /** Joins `room` on this node (listening starts with the first local member). */
  enterRoom(room: string): { membership: Membership; ready: Promise<void>; isNew: boolean };
  isMember(membership: Membership): boolean;
  leaveRoom(room: string): Promise<void>;
}
