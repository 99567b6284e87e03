import type { ErrorCode } from '../errors/codes.js';

/**
 * Wire messages. A WebSocket text frame holds one message object or a JSON array of them
 * (a batch); see docs/protocol.md.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type RequestId = number | string;

/** A position in a room's history: offsets only compare within one epoch. */
export interface StreamPosition {
  epoch: string;
  offset: number;
}

export interface WireError {
  code: ErrorCode;
  message: string;
}

// ---- client → server ----
export interface HelloMsg {
  type: 'hello';
  v: number;
  uid?: string;
  token?: string;
  /** Server message types beyond version 1's base that the client reads: `"acks"`. */
  features?: string[];
  /** False: the session's own publishes are not delivered back to it (default true). */
  echo?: boolean;
}
export interface AuthMsg {
  type: 'auth';
  signature: string;
}
export interface TokenMsg {
  type: 'token';
  id: RequestId;
  token: string;
}
export interface SubMsg {
  type: 'sub';
  id: RequestId;
  room: string;
  since?: StreamPosition;
}
export interface UnsubMsg {
  type: 'unsub';
  id: RequestId;
  room: string;
}
export interface PubMsg {
  type: 'pub';
  id: RequestId;
  room: string;
  event: string;
  content: Json;
  /** Message id chosen by the publisher; a repeated mid is acked but not delivered again. */
  mid?: string;
}
export interface SendMsg {
  type: 'send';
  event: string;
  content: Json;
  room?: string;
}
export interface ReqMsg {
  type: 'req';
  id: RequestId;
  event: string;
  content: Json;
  room?: string;
}
export interface PingMsg {
  type: 'ping';
  id: RequestId;
}
export interface HistMsg {
  type: 'hist';
  id: RequestId;
  room: string;
  since?: StreamPosition;
  limit?: number;
}
export interface PresenceMsg {
  type: 'presence';
  id: RequestId;
  room: string;
}
export interface QregMsg {
  type: 'qreg';
  id: RequestId;
  /** '' asks the server for a temporary queue owned by this connection. */
  queue: string;
}
export interface QunregMsg {
  type: 'qunreg';
  id: RequestId;
  queue: string;
}
export interface QpubMsg {
  type: 'qpub';
  id: RequestId;
  queue: string;
  data: Json;
  replyTo?: string;
  correlationId?: string;
  expiresInMs?: number;
  mid?: string;
  /** Answered only when it fails: an rpc request, whose reply is the answer. */
  quiet?: boolean;
}
export interface QackMsg {
  type: 'qack';
  queue: string;
  deliveryId: string;
  /** The delivery's `replyTo`: the ack also puts `reply` on that queue (one step, no `res`). */
  replyTo?: string;
  correlationId?: string;
  /** The reply's data (null when absent); only with `replyTo`. */
  reply?: Json;
}
export interface QnackMsg {
  type: 'qnack';
  queue: string;
  deliveryId: string;
  reason?: string;
}

export type ClientMessage =
  | HelloMsg
  | AuthMsg
  | TokenMsg
  | SubMsg
  | UnsubMsg
  | PubMsg
  | SendMsg
  | ReqMsg
  | PingMsg
  | HistMsg
  | PresenceMsg
  | QregMsg
  | QunregMsg
  | QpubMsg
  | QackMsg
  | QnackMsg;

// ---- server → client ----
export interface ChallengeMsg {
  type: 'challenge';
  challenge: string;
}
export interface WelcomeMsg {
  type: 'welcome';
  v: number;
  uid: string;
  session: string;
  heartbeatMs: number;
  maxPayload: number;
  expiresAt?: number;
}
export type ResMsg =
  | { type: 'res'; id: RequestId; data: Json | undefined }
  | { type: 'res'; id: RequestId; error: WireError };
export interface RoomMessage {
  type: 'msg';
  room: string;
  event: string;
  content: Json;
  offset: number;
  epoch: string;
  id: string;
  from?: string;
}
/**
 * Room messages in a row that share room, epoch, event and sender (`hello.features` `msgs`):
 * each entry is a `msg` without what the run holds.
 */
export interface RoomMessagesMsg {
  type: 'msgs';
  room: string;
  epoch: string;
  event: string;
  from?: string;
  msgs: RoomMessageEntry[];
}
export interface RoomMessageEntry {
  content: Json;
  offset: number;
  id: string;
}
/** Acks of publishes that carried a `mid`, in order: `ids[i]` was stored at `offsets[i]`. */
export interface AcksMsg {
  type: 'acks';
  epoch: string;
  ids: RequestId[];
  offsets: number[];
}
export interface JoinMsg {
  type: 'join';
  room: string;
  uid: string;
}
export interface LeaveMsg {
  type: 'leave';
  room: string;
  uid: string;
}
export interface PongMsg {
  type: 'pong';
  id: RequestId;
}
/** Unsolicited error (not an answer to a request); `graceMs` with TOKEN_EXPIRED. */
export interface ErrorMsg {
  type: 'error';
  code: ErrorCode;
  message: string;
  id?: RequestId;
  graceMs?: number;
}
export interface ByeMsg {
  type: 'bye';
  reason: string;
}
export interface QmsgMsg {
  type: 'qmsg';
  queue: string;
  deliveryId: string;
  id: string;
  data: Json;
  attempt: number;
  /** Deliveries after which the item is dead-lettered instead of redelivered. */
  maxAttempts?: number;
  replyTo?: string;
  correlationId?: string;
}

export type ServerMessage =
  | ChallengeMsg
  | WelcomeMsg
  | ResMsg
  | RoomMessage
  | RoomMessagesMsg
  | AcksMsg
  | JoinMsg
  | LeaveMsg
  | PongMsg
  | ErrorMsg
  | ByeMsg
  | QmsgMsg;

export type ClientMessageType = ClientMessage['type'];
export type ServerMessageType = ServerMessage['type'];
