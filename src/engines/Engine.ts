import type { Json, StreamPosition } from '../protocol/frames.js';
import type { QueueEngine, Unsubscribe } from './QueueEngine.js';

/** A message as the engine stored it: offsets are assigned by the engine, per room. */
export interface StoredMessage {
  room: string;
  event: string;
  content: Json;
  offset: number;
  epoch: string;
  id: string;
  from?: string;
  /** Engine time of storage, ms since epoch (drives history ttl). */
  at: number;
}

export interface PublishInput {
  room: string;
  event: string;
  content: Json;
  /** Message id; a repeated id is not stored or fanned out again, the first result is returned. */
  id: string;
  from?: string;
  /**
   * `content` as JSON, when the caller has encoded it already (the broker does, once per
   * publish): spares the engine a JSON.stringify for the byte budgets.
   */
  contentJson?: string;
}

export interface HistoryQuery {
  /** Messages strictly after this position. Without it: the newest `limit` messages. */
  since?: StreamPosition;
  limit?: number;
}

export interface StoredPage {
  epoch: string;
  /** Offset of the newest message in the room (0 when empty). */
  offset: number;
  messages: StoredMessage[];
  /**
   * True when `messages` covers everything after `since` (same epoch and nothing trimmed);
   * false when the gap cannot be filled.
   */
  complete: boolean;
}

export interface PresenceChange {
  room: string;
  action: 'join' | 'leave';
  uid: string;
}

export interface RoomListener {
  /** `contentJson`: the message's content as JSON, when the engine has it at hand. */
  message(message: StoredMessage, contentJson?: string): void;
  presence(change: PresenceChange): void;
  /**
   * The room's positions are gone (a shared engine lost its history or offsets): nobody can
   * resume from before `position`. The memory engine never calls it.
   */
  lost?(room: string, position: StreamPosition): void;
}

export type { Unsubscribe };

/**
 * All broker state sits behind this interface. Everything is asynchronous and fan-out comes
 * by callback, because with a shared engine (Redis) another node may be the publisher.
 */
export interface Engine {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Stores, assigns the next offset and fans out to every node listening to the room. */
  publish(input: PublishInput): Promise<StoredMessage>;
  /** Node-level interest in a room: one listener per room per server process is enough. */
  listen(room: string, listener: RoomListener): Promise<Unsubscribe>;
  history(room: string, query: HistoryQuery): Promise<StoredPage>;
  position(room: string): Promise<StreamPosition>;
  /** A member is one connection; a uid is present while any of its members is. */
  join(room: string, uid: string, memberId: string): Promise<void>;
  leave(room: string, uid: string, memberId: string): Promise<void>;
  members(room: string): Promise<string[]>;
  /**
   * Renews `uid`'s claim on its personal room (at sign-in and when its last session on a node
   * ends), so the room stays its own while it is offline: for the engine's claim ttl after
   * the last renewal. Claims are bounded in time and count, never kept for ever.
   */
  rememberUid(uid: string): Promise<void>;
  /**
   * Whether `name` is a uid with an unexpired claim, or one present in its own room (signed
   * in anywhere): its room is then nobody else's.
   */
  isKnownUid(name: string): Promise<boolean>;
  /** Competing-consumer work queues (SPEC §5). */
  readonly queues: QueueEngine;
}
