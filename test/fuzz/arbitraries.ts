import fc from 'fast-check';

/** Every client message type with the fields it takes (SPEC §2, docs/protocol.md). */
const FIELDS: Record<string, string[]> = {
  hello: ['v', 'uid', 'token'],
  auth: ['signature'],
  token: ['id', 'token'],
  sub: ['id', 'room', 'since'],
  unsub: ['id', 'room'],
  pub: ['id', 'room', 'event', 'content', 'mid'],
  send: ['event', 'content', 'room'],
  req: ['id', 'event', 'content', 'room'],
  ping: ['id'],
  hist: ['id', 'room', 'since', 'limit'],
  presence: ['id', 'room'],
  qreg: ['id', 'queue'],
  qunreg: ['id', 'queue'],
  qpub: ['id', 'queue', 'data', 'replyTo', 'correlationId', 'expiresInMs', 'mid'],
  qack: ['queue', 'deliveryId'],
  qnack: ['queue', 'deliveryId', 'reason'],
};

export const MESSAGE_TYPES = Object.keys(FIELDS);

/** `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels, as JSON text. */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A few rooms and queues, so that random messages also hit state the session has. */
const names = fc.constantFrom('lobby', 'control', 'jobs', 'tmp.x', 'fuzzer', '', 'x'.repeat(1025));

/** A plausible value for each field, the right kind most of the time. */
const plausible: Record<string, fc.Arbitrary<unknown>> = {
  v: fc.constantFrom(1, 2, 0),
  uid: names,
  token: fc.string(),
  signature: fc.string(),
  id: fc.oneof(fc.nat(), fc.string({ maxLength: 8 })),
  room: names,
  queue: names,
  event: fc.constantFrom('echo', 'chat', 'nobody-handles-this'),
  content: fc.jsonValue({ maxDepth: 6 }),
  data: fc.jsonValue({ maxDepth: 6 }),
  mid: fc.string({ minLength: 1, maxLength: 12 }),
  since: fc.record({
    epoch: fc.string({ maxLength: 12 }),
    offset: fc.integer({ min: -2, max: 50 }),
  }),
  limit: fc.integer({ min: -1, max: 20 }),
  replyTo: names,
  correlationId: fc.string({ minLength: 1, maxLength: 8 }),
  expiresInMs: fc.integer({ min: -1, max: 10_000 }),
  deliveryId: fc.string({ maxLength: 24 }),
  reason: fc.string({ maxLength: 24 }),
};

/** Wrong types for any field: everything JSON can carry, and values nested too deep. */
const wrong: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, -1, 1.5, 1e308, '', [], {}),
);

/** One message of a known type: each field plausible, wrong, or missing. */
const message: fc.Arbitrary<Record<string, unknown>> = fc
  .constantFrom(...MESSAGE_TYPES)
  .chain((type) =>
    fc
      .tuple(
        ...FIELDS[type].map((field) =>
          fc.oneof(
            { weight: 6, arbitrary: plausible[field].map((value) => ({ field, value })) },
            { weight: 2, arbitrary: wrong.map((value) => ({ field, value })) },
            { weight: 1, arbitrary: fc.constant(null).map(() => ({ field, value: undefined })) },
          ),
        ),
      )
      .map((fields) => {
        const item: Record<string, unknown> = { type };
        for (const { field, value } of fields) if (value !== undefined) item[field] = value;
        return item;
      }),
  );

/** A message whose JSON value fields (content, data) or type are nested past any limit. */
const deepMessage: fc.Arbitrary<string> = fc
  .record({
    type: fc.constantFrom('pub', 'req', 'send', 'qpub', 'deepType'),
    depth: fc.integer({ min: 60, max: 20_000 }),
    kind: fc.constantFrom<'array' | 'object'>('array', 'object'),
    id: fc.nat(),
  })
  .map(({ type, depth, kind, id }) => {
    const deep = deepJson(depth, kind);
    if (type === 'deepType') return `{"type":${deep},"id":${id}}`;
    const field = type === 'qpub' ? 'data' : 'content';
    return `{"type":"${type}","id":${id},"room":"lobby","queue":"jobs","event":"echo","${field}":${deep}}`;
  });

/** Valid JSON text of a message, then cut or with characters changed. */
const mutatedMessage: fc.Arbitrary<string> = fc
  .tuple(message, fc.nat(), fc.string({ maxLength: 3 }), fc.boolean())
  .map(([item, at, insert, cut]) => {
    const text = JSON.stringify(item);
    const i = at % (text.length + 1);
    return cut ? text.slice(0, i) : text.slice(0, i) + insert + text.slice(i + 1);
  });

/** One text frame: a message, a batch (items of any kind), a deep or mutated one, garbage. */
export const frameText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: message.map((m) => JSON.stringify(m)) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(message, wrong), { minLength: 0, maxLength: 6 })
      .map((items) => JSON.stringify(items)),
  },
  { weight: 2, arbitrary: deepMessage },
  { weight: 2, arbitrary: mutatedMessage },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: wrong.map((v) => JSON.stringify(v)) },
);

/** A first frame for a fresh connection (the handshake). */
export const firstFrameText: fc.Arbitrary<string> = fc.oneof(
  message.map((m) => JSON.stringify(m)),
  fc
    .record({ type: fc.constant('hello'), v: plausible.v, uid: plausible.uid })
    .map((m) => JSON.stringify(m)),
  mutatedMessage,
  deepMessage,
  fc.string({ maxLength: 40 }),
);

/** One HTTP call to a transient endpoint: method, path, and a body (text) or a query. */
export interface HttpCase {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: string;
}

const query: fc.Arbitrary<string> = fc
  .dictionary(
    fc.constantFrom('room', 'epoch', 'offset', 'limit', 'x'),
    fc.oneof(names, fc.nat().map(String), fc.string({ maxLength: 6 })),
    { maxKeys: 4 },
  )
  .map((params) => new URLSearchParams(params as Record<string, string>).toString());

const body: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: message.map((m) => JSON.stringify(m)) },
  { weight: 2, arbitrary: deepMessage },
  { weight: 2, arbitrary: mutatedMessage },
  { weight: 1, arbitrary: wrong.map((v) => JSON.stringify(v)) },
);

export const httpCase: fc.Arbitrary<HttpCase> = fc.oneof(
  fc.record({
    method: fc.constant<'POST'>('POST'),
    path: fc.constantFrom('/v1/publish', '/v1/request', '/v1/queue', '/v1/rpc', '/v1/nope'),
    body,
  }),
  fc.record({
    method: fc.constantFrom<'GET' | 'PUT'>('GET', 'PUT'),
    path: fc
      .tuple(fc.constantFrom('/v1/history', '/v1/presence', '/v1/publish'), query)
      .map(([path, q]) => `${path}?${q}`),
  }),
);
