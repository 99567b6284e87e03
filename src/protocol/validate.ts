import { StatewireError } from '../errors/StatewireError.js';
import { DEFAULT_MAX_DEPTH, exceedsDepth } from './depth.js';
import type { ClientMessage, ClientMessageType, PubMsg, RequestId } from './frames.js';

type FieldKind =
  | 'string'
  | 'nonEmptyString'
  | 'id'
  | 'json'
  | 'position'
  | 'count'
  | 'names'
  | 'boolean';
type Rule = { kind: FieldKind; optional?: boolean };
type Shape = Record<string, Rule>;

const req = (kind: FieldKind) => ({ kind });
/** A list of names (`hello.features`) holds at most this many. */
const MAX_NAMES = 16;
const opt = (kind: FieldKind) => ({ kind, optional: true });

/** Required and optional fields of every client message type. */
const SHAPES: Record<ClientMessageType, Shape> = {
  hello: {
    v: req('count'),
    uid: opt('nonEmptyString'),
    token: opt('nonEmptyString'),
    features: opt('names'),
    echo: opt('boolean'),
  },
  auth: { signature: req('string') },
  token: { id: req('id'), token: req('nonEmptyString') },
  sub: { id: req('id'), room: req('nonEmptyString'), since: opt('position') },
  unsub: { id: req('id'), room: req('nonEmptyString') },
  pub: {
    id: req('id'),
    room: req('nonEmptyString'),
    event: req('nonEmptyString'),
    content: req('json'),
    mid: opt('nonEmptyString'),
  },
  send: { event: req('nonEmptyString'), content: req('json'), room: opt('nonEmptyString') },
  req: {
    id: req('id'),
    event: req('nonEmptyString'),
    content: req('json'),
    room: opt('nonEmptyString'),
  },
  ping: { id: req('id') },
  hist: { id: req('id'), room: req('nonEmptyString'), since: opt('position'), limit: opt('count') },
  presence: { id: req('id'), room: req('nonEmptyString') },
  qreg: { id: req('id'), queue: req('string') },
  qunreg: { id: req('id'), queue: req('nonEmptyString') },
  qpub: {
    id: req('id'),
    queue: req('nonEmptyString'),
    data: req('json'),
    replyTo: opt('nonEmptyString'),
    correlationId: opt('nonEmptyString'),
    expiresInMs: opt('count'),
    mid: opt('nonEmptyString'),
    quiet: opt('boolean'),
  },
  qack: {
    queue: req('nonEmptyString'),
    deliveryId: req('nonEmptyString'),
    replyTo: opt('nonEmptyString'),
    correlationId: opt('nonEmptyString'),
    reply: opt('json'),
  },
  qnack: { queue: req('nonEmptyString'), deliveryId: req('nonEmptyString'), reason: opt('string') },
};

/** The same shapes as field lists, built once: the check runs for every message. */
const FIELDS = new Map<string, Array<[string, Rule]>>(
  Object.entries(SHAPES).map(([type, shape]) => [type, Object.entries(shape)]),
);

function fits(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'nonEmptyString':
      return typeof value === 'string' && value.length > 0 && value.length <= 1024;
    case 'id':
      return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string';
    case 'json':
      return value !== undefined;
    case 'boolean':
      return typeof value === 'boolean';
    case 'count':
      return Number.isInteger(value) && (value as number) >= 0;
    case 'names':
      return (
        Array.isArray(value) &&
        value.length <= MAX_NAMES &&
        value.every((name) => typeof name === 'string' && name.length > 0 && name.length <= 64)
      );
    case 'position': {
      const p = value as { epoch?: unknown; offset?: unknown } | null;
      return (
        typeof p === 'object' &&
        p !== null &&
        typeof p.epoch === 'string' &&
        Number.isInteger(p.offset) &&
        (p.offset as number) >= 0
      );
    }
  }
}

/** The request id of a message that failed validation, so the error can answer it. */
export function requestIdOf(raw: unknown): RequestId | undefined {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'number' || typeof id === 'string' ? id : undefined;
}

/** How a message type is named in an error: never the whole value, which may be huge or deep. */
function describeType(type: unknown): string {
  return typeof type === 'string' ? JSON.stringify(type.slice(0, 64)) : `of kind ${typeof type}`;
}

/** The fields a message type's shape checks, in order (for tests that guard copies of it). */
export function shapeFields(type: ClientMessageType): string[] {
  return Object.keys(SHAPES[type]);
}

/**
 * A `pub` that fits its shape, read field by field (`pub` is the hot path: walking the shape
 * reads each field by a computed name, several times its cost). Anything else, a bad `pub` too,
 * is left to the shape walk, which names the problem.
 */
function isFittingPub(raw: unknown): raw is PubMsg {
  const m = raw as Partial<Record<keyof PubMsg, unknown>> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.type === 'pub' &&
    fits('id', m.id) &&
    fits('nonEmptyString', m.room) &&
    fits('nonEmptyString', m.event) &&
    fits('json', m.content) &&
    (m.mid === undefined || fits('nonEmptyString', m.mid))
  );
}

/**
 * Checks a decoded message against its type's shape; throws BAD_REQUEST naming the problem.
 * JSON fields (`content`, `data`) nested deeper than `maxDepth` are refused too.
 */
export function parseClientMessage(raw: unknown, maxDepth = DEFAULT_MAX_DEPTH): ClientMessage {
  if (isFittingPub(raw) && !exceedsDepth(raw.content, maxDepth)) return raw;
  return parseByShape(raw, maxDepth);
}

/** `parseClientMessage` by walking the type's shape, for every type (exported for tests). */
export function parseByShape(raw: unknown, maxDepth = DEFAULT_MAX_DEPTH): ClientMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new StatewireError('BAD_REQUEST', 'message must be an object');
  }
  const type = (raw as { type?: unknown }).type;
  const fields = typeof type === 'string' ? FIELDS.get(type) : undefined;
  if (fields === undefined) {
    throw new StatewireError('BAD_REQUEST', `unknown message type ${describeType(type)}`);
  }
  for (const [field, rule] of fields) {
    const value = (raw as Record<string, unknown>)[field];
    if (value === undefined && rule.optional) continue;
    if (!fits(rule.kind, value)) {
      throw new StatewireError('BAD_REQUEST', `${type}: field "${field}" is missing or invalid`);
    }
    if (rule.kind === 'json' && exceedsDepth(value, maxDepth)) {
      throw new StatewireError(
        'BAD_REQUEST',
        `${type}: field "${field}" is nested deeper than ${maxDepth} levels`,
      );
    }
  }
  return raw as ClientMessage;
}
