import WebSocket, { type ClientOptions } from 'ws';
import { SimulatedClock } from 'xstate';
import { createServer, type Server, type ServerOptions } from '../../src/server/index.js';
import { onTestEngine } from '../engines/testEngine.js';

export type Frame = Record<string, any>;

interface Waiter {
  match: (frame: Frame) => boolean;
  resolve: (frame: Frame) => void;
}

/** Guard so a missing frame fails the test with a useful message instead of hanging. */
const WAIT_LIMIT_MS = 5000;

/**
 * A plain `ws` client that records every message (batches are split) and lets a test await
 * the next one of a type. Each awaited message is consumed, so `next('msg')` twice gives two
 * messages in arrival order.
 */
export class TestClient {
  readonly ws: WebSocket;
  /** Every message received, in order, consumed or not. */
  readonly log: Frame[] = [];
  /** Raw text frames as they came off the socket. */
  readonly frames: string[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly unread: Frame[] = [];
  private readonly waiters: Waiter[] = [];
  private nextId = 1;

  constructor(url: string, options?: ClientOptions) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const text = data.toString();
      this.frames.push(text);
      const parsed = JSON.parse(text);
      for (const frame of Array.isArray(parsed) ? parsed : [parsed]) this.take(frame);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  id(): number {
    return this.nextId++;
  }

  /** The next message of `type` (and matching `where`), waiting for it if needed. */
  next(type: string, where: (frame: Frame) => boolean = () => true): Promise<Frame> {
    const match = (frame: Frame) => frame.type === type && where(frame);
    const index = this.unread.findIndex(match);
    if (index >= 0) return Promise.resolve(this.unread.splice(index, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(
          new Error(`no "${type}" frame; received: ${JSON.stringify(this.log).slice(0, 2000)}`),
        );
      }, WAIT_LIMIT_MS);
      this.waiters.push(waiter);
    });
  }

  /** Sends a request with a fresh id and resolves with its `res`. */
  async request(message: Frame): Promise<Frame> {
    const id = this.id();
    this.send({ ...message, id });
    return this.next('res', (f) => f.id === id);
  }

  /** Like `request`, but returns `data` and throws on an error answer. */
  async call(message: Frame): Promise<Frame> {
    const res = await this.request(message);
    if (res.error) throw new Error(`${res.error.code}: ${res.error.message}`);
    return res.data;
  }

  /** Messages not consumed by `next` so far, of `type` if given. */
  pending(type?: string): Frame[] {
    return this.unread.filter((f) => type === undefined || f.type === type);
  }

  /** Forgets every message received so far, consumed or not (for long runs). */
  forget(): void {
    this.log.length = 0;
    this.frames.length = 0;
    this.unread.length = 0;
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    return this.closed;
  }

  private take(frame: Frame): void {
    this.log.push(frame);
    const index = this.waiters.findIndex((w) => w.match(frame));
    if (index >= 0) this.waiters.splice(index, 1)[0].resolve(frame);
    else this.unread.push(frame);
  }
}

/** Opens a socket and says hello; returns once the handshake's first answer is in. */
export async function connect(
  url: string,
  hello: Frame = {},
  options?: ClientOptions,
): Promise<TestClient> {
  const client = new TestClient(url, options);
  await client.opened;
  client.send({ type: 'hello', v: 1, ...hello });
  return client;
}

/** A client signed in with `uid` (no-auth server); resolves after `welcome`. */
export async function signIn(
  url: string,
  uid?: string,
  options?: ClientOptions,
): Promise<TestClient> {
  const client = await connect(url, uid === undefined ? {} : { uid }, options);
  await client.next('welcome');
  return client;
}

/** Subscribes and returns the `sub` answer data. */
export function subscribe(client: TestClient, room: string, since?: Frame): Promise<Frame> {
  return client.call({ type: 'sub', room, ...(since ? { since } : {}) });
}

const started: Server[] = [];

/** Starts a server on a free port; `closeServers` (in afterEach) closes it. */
export async function startServer(options: ServerOptions = {}): Promise<Server> {
  const server = createServer(onTestEngine({ onError: () => {}, ...options }));
  started.push(server);
  await server.start();
  return server;
}

export async function closeServers(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.close()));
}

/** Lets pending I/O callbacks and the server's coalesced flush run once. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Simulated time for a server: pass `clock` and `now` to startServer, then `clock.increment`
 * fires the sessions' delays (heartbeat, token grace, handshake timeout) and moves `now`.
 */
export function simulatedTime(): { clock: SimulatedClock; now: () => number } {
  const clock = new SimulatedClock();
  const start = Date.now();
  return { clock, now: () => start + clock.now() };
}

/** A ping answered: everything the server sent before the pong has arrived. */
export async function roundTrip(client: TestClient): Promise<void> {
  const id = client.id();
  client.send({ type: 'ping', id });
  await client.next('pong', (f) => f.id === id);
}
