import { ERROR_CODES } from '../../src/errors/codes.js';
import { createServer, type Server } from '../../src/server/index.js';
import { type Frame, signIn, TestClient } from '../server/helpers.js';
import type { HttpCase } from './arbitraries.js';

/** Types whose valid form gets no answer: only a bad one is answered. */
const UNANSWERED = new Set(['send', 'qack', 'qnack']);
const CODES = new Set<string>(ERROR_CODES);

/**
 * A server under fuzzing with three clients: the attacker that sends the frames, a control
 * client that must keep publishing and receiving in its room, and a worker that answers jobs.
 */
export interface FuzzTarget {
  server: Server;
  attacker: TestClient;
  control: TestClient;
  worker: TestClient;
  /** What the server reported through onError: each one is a defect. */
  reported: Array<{ error: unknown; where: string }>;
  /** Frames and HTTP calls handled so far. */
  count: number;
}

export async function startTarget(): Promise<FuzzTarget> {
  const reported: FuzzTarget['reported'] = [];
  const server = createServer({
    port: 0,
    onError: (error, where) => reported.push({ error, where }),
  });
  server.on('echo', (content) => content);
  await server.start();
  const control = await signIn(server.url, 'control');
  await control.call({ type: 'sub', room: 'control' });
  const worker = await signIn(server.url, 'worker');
  await worker.call({ type: 'qreg', queue: 'jobs' });
  worker.ws.on('message', () => answerJobs(worker));
  const attacker = await signIn(server.url, 'fuzzer');
  return { server, attacker, control, worker, reported, count: 0 };
}

export async function stopTarget(target: FuzzTarget): Promise<void> {
  await Promise.all([target.attacker.close(), target.control.close(), target.worker.close()]);
  await target.server.close();
}

/** Acks every job and answers it when it carries a replyTo. */
function answerJobs(worker: TestClient): void {
  for (const job of worker.pending('qmsg').splice(0)) {
    worker.next('qmsg', (f) => f === job).catch(() => {});
    worker.send({ type: 'qack', queue: job.queue, deliveryId: job.deliveryId });
    if (typeof job.replyTo === 'string') {
      worker.send({
        type: 'qpub',
        id: `reply-${job.deliveryId}`,
        queue: job.replyTo,
        data: job.data,
        correlationId: job.correlationId,
      });
    }
  }
}

let unique = 0;

/** Gives every valid id of the frame's items a fresh value; returns the ids to wait for. */
function stampIds(items: unknown[]): Array<string> {
  const expected: string[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const fields = item as Record<string, unknown>;
    if (typeof fields.id !== 'number' && typeof fields.id !== 'string') continue;
    fields.id = `fz${++unique}`;
    if (!UNANSWERED.has(fields.type as string)) expected.push(fields.id as string);
  }
  return expected;
}

function asItems(parsed: unknown): unknown[] {
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** What the frame's text becomes on the wire and which answers it must get. */
function prepare(text: string): { wire: string; expected: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { wire: text, expected: [] };
  }
  const items = asItems(parsed);
  const expected = stampIds(items);
  try {
    return { wire: JSON.stringify(parsed), expected };
  } catch {
    // Too deep to encode again here: sent as generated, answered under its own ids.
    return { wire: text, expected: [] };
  }
}

function badCode(frame: Frame): string | null {
  const code =
    frame.type === 'res' ? frame.error?.code : frame.type === 'error' ? frame.code : null;
  if (code === undefined || code === null) return null;
  return CODES.has(code) && code !== 'INTERNAL' ? null : String(code);
}

/** Sends one frame from the attacker; every answer it must get arrives with a documented code. */
export async function fuzzFrame(target: FuzzTarget, text: string): Promise<void> {
  const { attacker } = target;
  const seen = attacker.log.length;
  const { wire, expected } = prepare(text);
  attacker.send(wire);
  const answers = expected.map((id) =>
    Promise.race([
      attacker.next('res', (f) => f.id === id),
      attacker.next('pong', (f) => f.id === id),
    ]),
  );
  const ping = `ping${++unique}`;
  attacker.send({ type: 'ping', id: ping });
  await Promise.all([...answers, attacker.next('pong', (f) => f.id === ping)]);
  target.count++;
  if (!attacker.isOpen)
    throw new Error(`the attacker's connection closed after ${wire.slice(0, 200)}`);
  for (const frame of attacker.log.slice(seen)) {
    const code = badCode(frame);
    if (code)
      throw new Error(`answered ${code} to ${wire.slice(0, 200)}: ${JSON.stringify(frame)}`);
  }
  attacker.forget();
}

/** A fresh connection whose first frame is `text`: a welcome, or an error and a close. */
export async function fuzzHandshake(target: FuzzTarget, text: string): Promise<void> {
  const client = new TestClient(target.server.url);
  await client.opened;
  client.send(text);
  const outcome = await Promise.race([
    client.next('welcome').then(() => 'welcome' as const),
    client.closed.then(() => 'closed' as const),
  ]);
  target.count++;
  for (const frame of client.log) {
    const code = badCode(frame);
    if (code) throw new Error(`handshake answered ${code} to ${text.slice(0, 200)}`);
  }
  if (outcome === 'closed' && client.log.length === 0) {
    throw new Error(`handshake closed without an error frame after ${text.slice(0, 200)}`);
  }
  await client.close();
}

/** One HTTP call; the answer is 200 or an error body with a documented code. */
export async function fuzzHttp(target: FuzzTarget, call: HttpCase): Promise<void> {
  let body = call.body;
  if (body !== undefined && call.path === '/v1/rpc') body = withShortRpcTimeout(body);
  const res = await fetch(`${target.server.httpUrl}${call.path}`, {
    method: call.method,
    headers: { 'x-statewire-uid': 'fuzzer', 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  target.count++;
  if (res.status === 200) return;
  let code: unknown;
  try {
    code = JSON.parse(text).error?.code;
  } catch {
    throw new Error(`HTTP ${res.status} without a JSON error for ${call.method} ${call.path}`);
  }
  if (typeof code !== 'string' || !CODES.has(code) || code === 'INTERNAL') {
    throw new Error(
      `HTTP ${res.status} ${String(code)} for ${call.method} ${call.path} ${body?.slice(0, 200)}`,
    );
  }
}

/** An rpc nobody answers waits its whole timeout: keep fuzzed ones short. */
function withShortRpcTimeout(body: string): string {
  try {
    const parsed = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      parsed.timeoutMs ??= 50;
      return JSON.stringify(parsed);
    }
  } catch {}
  return body;
}

/** The control client still publishes and receives, and the worker still takes jobs. */
export async function stillServing(target: FuzzTarget): Promise<void> {
  const { control } = target;
  const ack = await control.call({
    type: 'pub',
    room: 'control',
    event: 'tick',
    content: target.count,
  });
  await control.next('msg', (f) => f.room === 'control' && f.offset === ack.offset);
  if (target.reported.length > 0) {
    const [first] = target.reported;
    throw new Error(`server reported ${first.where}: ${String(first.error)}`);
  }
  control.forget();
  target.worker.forget();
}
