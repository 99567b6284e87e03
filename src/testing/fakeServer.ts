import { type MemoryEndpoint, memoryTransport } from '../actors/memoryTransport.js';
import type { Transport } from '../actors/transport.js';
import type { ErrorCode } from '../errors/codes.js';
import { CLOSE } from '../protocol/closeCodes.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import type {
  ClientMessage,
  ClientMessageType,
  HelloMsg,
  Json,
  RoomMessage,
  ServerMessage,
  WelcomeMsg,
} from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';

type MessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;

export interface FakeServerOptions {
  /**
   * Decides the handshake from `hello` (or from the challenge signature): return an error
   * code to refuse, or fields to put into `welcome` (`uid`, `expiresAt`). Default: accept.
   */
  authenticate?(
    hello: HelloMsg,
    signature?: string,
  ): ErrorCode | Partial<Pick<WelcomeMsg, 'uid' | 'expiresAt'>> | undefined;
  /** Send a challenge to clients that bring no token; its text is `nonce-<n>`. */
  challenge?: boolean;
  heartbeatMs?: number;
  maxPayload?: number;
  /** Messages kept per room for recovery. Default 100. */
  historySize?: number;
}

/** A handler for one client message type; return true when it answered (no default reply). */
export type Interceptor<T extends ClientMessageType> = (
  message: MessageOf<T>,
  connection: FakeConnection,
) => boolean | undefined;

type AnyInterceptor = (message: ClientMessage, connection: FakeConnection) => boolean | undefined;

interface Room {
  history: RoomMessage[];
  offset: number;
  acks: Map<string, { offset: number; epoch: string; id: string }>;
}

interface Waiter {
  type?: ClientMessageType;
  resolve(message: ClientMessage): void;
}

/** The server side of one client connection, with what it received. */
export class FakeConnection {
  readonly received: ClientMessage[] = [];
  /** Raw text frames as they arrived (a batch is one frame). */
  readonly frames: string[] = [];
  readonly rooms = new Set<string>();
  uid: string | undefined;
  signedIn = false;
  challenge: string | undefined;
  #taken = new Set<ClientMessage>();
  #waiters: Waiter[] = [];

  constructor(
    private readonly endpoint: MemoryEndpoint,
    readonly url: string,
  ) {}

  get closed(): boolean {
    return this.endpoint.closed;
  }

  /** False when its hello said `echo: false`: its own publishes are not sent back to it. */
  get echoes(): boolean {
    const hello = this.received.find((m): m is HelloMsg => m.type === 'hello');
    return hello?.echo !== false;
  }

  send(message: ServerMessage | ServerMessage[]): void {
    this.endpoint.send(encodeFrame(message));
  }

  /** Closes from the server side, as a network drop (1006) or with a code and reason. */
  close(code = 1006, reason = ''): void {
    this.endpoint.close(code, reason);
  }

  /** The next received message of a type (each message is handed out once). */
  next<T extends ClientMessageType>(type: T): Promise<MessageOf<T>>;
  next(): Promise<ClientMessage>;
  next(type?: ClientMessageType): Promise<ClientMessage> {
    const found = this.received.find((m) => !this.#taken.has(m) && (!type || m.type === type));
    if (found) {
      this.#taken.add(found);
      return Promise.resolve(found);
    }
    return new Promise((resolve) => this.#waiters.push({ type, resolve }));
  }

  /** @internal */
  record(message: ClientMessage): void {
    this.received.push(message);
    const index = this.#waiters.findIndex((w) => !w.type || w.type === message.type);
    if (index < 0) return;
    const [waiter] = this.#waiters.splice(index, 1);
    this.#taken.add(message);
    waiter.resolve(message);
  }
}

/**
 * A scripted broker for tests over the in-memory transport: handshake (token, challenge),
 * rooms with offsets and a bounded history, publish with `mid` de-duplication, requests, ping.
 * `intercept(type, fn)` replaces the default answer to one message type.
 */
export class FakeServer {
  readonly transport: Transport;
  readonly connections: FakeConnection[] = [];
  /** While true, connections are refused as by an unreachable server. */
  down = false;
  epoch = 'epoch-1';
  readonly #rooms = new Map<string, Room>();
  readonly #handlers = new Map<string, (content: Json, uid: string | undefined) => Json>();
  readonly #interceptors = new Map<ClientMessageType, AnyInterceptor>();
  #connectionWaiters: Array<(connection: FakeConnection) => void> = [];
  #seq = 0;

  constructor(private readonly options: FakeServerOptions = {}) {
    this.transport = memoryTransport((endpoint, url) => {
      if (this.down) return false;
      const connection = new FakeConnection(endpoint, url);
      endpoint.onmessage = (text) => this.#receive(connection, text);
      endpoint.onclose = () => {
        connection.rooms.clear();
      };
      this.connections.push(connection);
      const waiters = this.#connectionWaiters;
      this.#connectionWaiters = [];
      for (const waiter of waiters) waiter(connection);
      return true;
    });
  }

  /** The most recent connection, once open. */
  get last(): FakeConnection | undefined {
    return this.connections[this.connections.length - 1];
  }

  /** Resolves with the next connection opened from now on. */
  nextConnection(): Promise<FakeConnection> {
    return new Promise((resolve) => this.#connectionWaiters.push(resolve));
  }

  /** Answers `request(event)` with the handler's return value. */
  on(event: string, handler: (content: Json, uid: string | undefined) => Json): void {
    this.#handlers.set(event, handler);
  }

  intercept<T extends ClientMessageType>(type: T, interceptor: Interceptor<T> | undefined): void {
    if (interceptor) this.#interceptors.set(type, interceptor as unknown as AnyInterceptor);
    else this.#interceptors.delete(type);
  }

  /** Stores a message in the room's history and delivers it to every member. */
  publish(room: string, event: string, content: Json, from?: string): RoomMessage {
    return this.#store(room, event, content, from);
  }

  /** `publisher`: a connection whose hello said `echo: false` does not get it back. */
  #store(
    room: string,
    event: string,
    content: Json,
    from?: string,
    publisher?: FakeConnection,
    id = `m${++this.#seq}`,
  ): RoomMessage {
    const state = this.#room(room);
    const message: RoomMessage = {
      type: 'msg',
      room,
      event,
      content,
      offset: ++state.offset,
      epoch: this.epoch,
      id,
    };
    if (from !== undefined) message.from = from;
    state.history.push(message);
    if (state.history.length > (this.options.historySize ?? 100)) state.history.shift();
    for (const connection of this.connections) {
      if (connection.closed || (publisher === connection && !connection.echoes)) continue;
      if (connection.rooms.has(room) || connection.uid === room) connection.send(message);
    }
    return message;
  }

  /** Closes every open connection (a network drop by default). */
  dropAll(code = 1006, reason = ''): void {
    for (const connection of this.connections) connection.close(code, reason);
  }

  /** Forgets every room, as a memory broker restart does: a new epoch. */
  loseHistory(): void {
    this.#rooms.clear();
    this.epoch = `epoch-${++this.#seq}`;
  }

  #room(name: string): Room {
    let room = this.#rooms.get(name);
    if (!room) {
      room = { history: [], offset: 0, acks: new Map() };
      this.#rooms.set(name, room);
    }
    return room;
  }

  #receive(connection: FakeConnection, text: string): void {
    connection.frames.push(text);
    for (const raw of decodeFrame(text)) {
      const message = raw as ClientMessage;
      connection.record(message);
      if (this.#interceptors.get(message.type)?.(message, connection)) continue;
      this.#answer(connection, message);
    }
  }

  #refuse(connection: FakeConnection, code: ErrorCode): void {
    connection.send({ type: 'error', code, message: code });
    connection.close(CLOSE.POLICY_VIOLATION, code);
  }

  #welcome(connection: FakeConnection, hello: HelloMsg, signature?: string) {
    const decision = this.options.authenticate?.(hello, signature);
    if (typeof decision === 'string') return this.#refuse(connection, decision);
    connection.uid = decision?.uid ?? hello.uid ?? `user-${++this.#seq}`;
    connection.signedIn = true;
    const welcome: WelcomeMsg = {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      uid: connection.uid,
      session: `session-${++this.#seq}`,
      heartbeatMs: this.options.heartbeatMs ?? 25_000,
      maxPayload: this.options.maxPayload ?? 1024 * 1024,
    };
    if (decision?.expiresAt !== undefined) welcome.expiresAt = decision.expiresAt;
    connection.send(welcome);
  }

  #answer(connection: FakeConnection, message: ClientMessage) {
    if (!connection.signedIn) {
      if (message.type === 'hello') {
        if (this.options.challenge && message.token === undefined) {
          connection.challenge = `nonce-${++this.#seq}`;
          return connection.send({ type: 'challenge', challenge: connection.challenge });
        }
        return this.#welcome(connection, message);
      }
      const hello = connection.received.find((m): m is HelloMsg => m.type === 'hello');
      if (message.type === 'auth' && hello && connection.challenge) {
        return this.#welcome(connection, hello, message.signature);
      }
      return this.#refuse(connection, 'BAD_REQUEST');
    }
    const reply = (id: string | number, data: Json) => connection.send({ type: 'res', id, data });
    const fail = (id: string | number, code: ErrorCode) =>
      connection.send({ type: 'res', id, error: { code, message: code } });

    switch (message.type) {
      case 'sub': {
        connection.rooms.add(message.room);
        const room = this.#room(message.room);
        const since = message.since;
        let recovered = false;
        let missed = 0;
        if (since) {
          const first = room.history[0]?.offset ?? room.offset + 1;
          recovered = since.epoch === this.epoch && first <= since.offset + 1;
          if (recovered) {
            const replay = room.history.filter((m) => m.offset > since.offset);
            missed = replay.length;
            if (replay.length > 0) connection.send(replay);
          }
        }
        return reply(message.id, { epoch: this.epoch, offset: room.offset, recovered, missed });
      }
      case 'unsub':
        connection.rooms.delete(message.room);
        return reply(message.id, {});
      case 'pub': {
        if (!connection.rooms.has(message.room) && connection.uid !== message.room) {
          return fail(message.id, 'FORBIDDEN');
        }
        const room = this.#room(message.room);
        const known = message.mid ? room.acks.get(message.mid) : undefined;
        if (known) return reply(message.id, { ...known });
        const { room: name, event, content, mid } = message;
        const stored = this.#store(name, event, content, connection.uid, connection, mid);
        const ack = { offset: stored.offset, epoch: stored.epoch, id: stored.id };
        if (message.mid) room.acks.set(message.mid, ack);
        return reply(message.id, ack);
      }
      case 'send':
        this.#handlers.get(message.event)?.(message.content, connection.uid);
        return;
      case 'req': {
        const handler = this.#handlers.get(message.event);
        if (!handler) return fail(message.id, 'NOT_FOUND');
        return reply(message.id, handler(message.content, connection.uid));
      }
      case 'ping':
        return connection.send({ type: 'pong', id: message.id });
      case 'token':
        return reply(message.id, {});
      case 'hist': {
        const room = this.#room(message.room);
        const since = message.since;
        const after = room.history.filter((m) => !since || m.offset > since.offset);
        const limit = message.limit ?? after.length;
        const messages = after.slice(Math.max(0, after.length - limit));
        const complete =
          !since ||
          (since.epoch === this.epoch &&
            (room.history[0]?.offset ?? room.offset + 1) <= since.offset + 1);
        const page = messages.map(({ type: _type, ...rest }) => rest);
        return reply(message.id, {
          epoch: this.epoch,
          offset: room.offset,
          messages: page,
          complete,
        });
      }
      // Queues: answers only; tests script deliveries with `connection.send({type: 'qmsg', …})`.
      case 'qreg':
        return reply(message.id, { queue: message.queue || `tmp.${++this.#seq}` });
      case 'qunreg':
        return reply(message.id, {});
      case 'qpub':
        // A quiet qpub (an rpc request) is answered only when it fails, as the server does.
        if (message.quiet) return;
        return reply(message.id, { id: message.mid ?? `q${++this.#seq}` });
      case 'presence': {
        const members = this.connections
          .filter((c) => !c.closed && c.rooms.has(message.room))
          .map((c) => c.uid ?? '');
        return reply(message.id, { members: [...new Set(members)] });
      }
      default:
        return;
    }
  }
}
