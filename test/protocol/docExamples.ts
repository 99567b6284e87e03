/*
 * The machine-readable examples of docs/protocol.md: fenced blocks whose info string is `wire`
 * (one WebSocket conversation) or `wire-http` (HTTP calls). Lines start with `→` (sent) or `←`
 * (expected); any other line is a note for the reader and is skipped.
 *
 *   wire:       → <frame text, sent as is>     ← <one JSON message, or an array of them>
 *               ← close <code> [reason]
 *   wire-http:  → <METHOD> <path> [JSON body]  ← <status> [JSON body]   ← <Header>: <value>
 *
 * In an expected value the string "…" stands for any value, and a string like "$epoch" names the
 * value it first matches: later lines expect the same value, and `→` frames get it written in.
 */

export type WireStep =
  | { kind: 'send'; text: string }
  | { kind: 'expect'; messages: unknown[] }
  | { kind: 'close'; code: number; reason: string };

export type HttpStep =
  | { kind: 'request'; method: string; path: string; body?: string }
  | { kind: 'status'; status: number; body?: unknown }
  | { kind: 'header'; name: string; value: string };

export interface DocBlock<Step> {
  /** 1-based line of the opening fence. */
  line: number;
  /** The section heading the block sits under. */
  heading: string;
  steps: Step[];
}

export const ANY = '…';

function fencedBlocks(markdown: string, info: string): Array<DocBlock<string>> {
  const blocks: Array<DocBlock<string>> = [];
  let heading = '';
  let open: DocBlock<string> | undefined;
  markdown.split('\n').forEach((text, index) => {
    if (open) {
      if (text.startsWith('```')) {
        blocks.push(open);
        open = undefined;
      } else {
        open.steps.push(text);
      }
    } else if (text.trim() === `\`\`\`${info}`) {
      open = { line: index + 1, heading, steps: [] };
    } else if (text.startsWith('#')) {
      heading = text.replace(/^#+\s*/, '');
    }
  });
  return blocks;
}

const SENT = '→ ';
const RECEIVED = '← ';

export function wireBlocks(markdown: string): Array<DocBlock<WireStep>> {
  return fencedBlocks(markdown, 'wire').map((block) => ({
    ...block,
    steps: block.steps.flatMap((line): WireStep[] => {
      if (line.startsWith(SENT)) return [{ kind: 'send', text: line.slice(SENT.length) }];
      if (!line.startsWith(RECEIVED)) return [];
      const rest = line.slice(RECEIVED.length);
      const close = /^close (\d+)(?: (.*))?$/.exec(rest);
      if (close) return [{ kind: 'close', code: Number(close[1]), reason: close[2] ?? '' }];
      const parsed = JSON.parse(rest);
      return [{ kind: 'expect', messages: Array.isArray(parsed) ? parsed : [parsed] }];
    }),
  }));
}

export function httpBlocks(markdown: string): Array<DocBlock<HttpStep>> {
  return fencedBlocks(markdown, 'wire-http').map((block) => ({
    ...block,
    steps: block.steps.flatMap((line): HttpStep[] => {
      if (line.startsWith(SENT)) {
        const [, method, path, body] =
          /^(\S+) (\S+)(?: (.*))?$/.exec(line.slice(SENT.length)) ?? [];
        return [{ kind: 'request', method, path, body }];
      }
      if (!line.startsWith(RECEIVED)) return [];
      const rest = line.slice(RECEIVED.length);
      const status = /^(\d{3})(?: (.*))?$/.exec(rest);
      if (status) {
        return [
          {
            kind: 'status',
            status: Number(status[1]),
            body: status[2] === undefined ? undefined : JSON.parse(status[2]),
          },
        ];
      }
      const [, name, value] = /^([\w-]+): (.*)$/.exec(rest) ?? [];
      return [{ kind: 'header', name, value }];
    }),
  }));
}

/** Names a value in examples: bound by its first `←`, then the same value, also in `→`. */
const VARIABLE = /^\$\w+$/;

/**
 * `actual` with every place `expected` says "…" (or a variable that matches) put as expected,
 * so that a deep equal shows only real differences. Binds unbound variables in `vars`.
 */
export function masked(expected: unknown, actual: unknown, vars: Map<string, unknown>): unknown {
  if (expected === ANY) return ANY;
  if (typeof expected === 'string' && VARIABLE.test(expected)) {
    if (!vars.has(expected)) vars.set(expected, actual);
    return vars.get(expected) === actual ? expected : actual;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return actual.map((item, i) => masked(expected[i], item, vars));
  }
  if (isObject(expected) && isObject(actual)) {
    return Object.fromEntries(
      Object.entries(actual).map(([key, value]) => [key, masked(expected[key], value, vars)]),
    );
  }
  return actual;
}

/** A frame to send with the variables bound so far written in. */
export function substitute(text: string, vars: Map<string, unknown>): string {
  return text.replace(/"(\$\w+)"/g, (whole, name: string) =>
    vars.has(name) ? JSON.stringify(vars.get(name)) : whole,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
