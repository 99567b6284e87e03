import { parseArgs } from 'node:util';
import type { Json } from '../protocol/frames.js';
import { UsageError } from './usage.js';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const CLIENT_OPTIONS: OptionSpec = {
  url: { type: 'string' },
  token: { type: 'string' },
  uid: { type: 'string' },
};

/** Options each command accepts besides --help. */
export const COMMAND_OPTIONS: Record<string, OptionSpec> = {
  serve: {
    port: { type: 'string' },
    host: { type: 'string' },
    'token-secret': { type: 'string' },
    'history-size': { type: 'string' },
    redis: { type: 'string' },
    'redis-prefix': { type: 'string' },
    'lease-ms': { type: 'string' },
  },
  pub: CLIENT_OPTIONS,
  sub: { ...CLIENT_OPTIONS, count: { type: 'string' } },
  request: CLIENT_OPTIONS,
  rpc: { ...CLIENT_OPTIONS, timeout: { type: 'string' } },
  bench: { messages: { type: 'string' } },
};

/** Positional arguments each command takes. */
export const COMMAND_ARITY: Record<string, string[]> = {
  serve: [],
  pub: ['room', 'event', 'json'],
  sub: ['room'],
  request: ['event', 'json'],
  rpc: ['queue', 'json'],
  bench: [],
};

export interface CommandLine {
  command: string;
  /** Named by COMMAND_ARITY. */
  args: Record<string, string>;
  options: Record<string, string | undefined>;
}

export type Parsed = { help: true } | ({ help: false } & CommandLine);

export function parseCommandLine(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command given');
  if (command === '-h' || command === '--help' || command === 'help') return { help: true };
  const spec = COMMAND_OPTIONS[command];
  const names = COMMAND_ARITY[command];
  if (!spec || !names) throw new UsageError(`unknown command "${command}"`);

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...spec, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help) return { help: true };
  if (parsed.positionals.length !== names.length) {
    const expected = names.map((name) => `<${name}>`).join(' ') || 'no arguments';
    throw new UsageError(`${command} takes ${expected}`);
  }
  const args = Object.fromEntries(names.map((name, i) => [name, parsed.positionals[i] as string]));
  const options: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') options[key] = value;
  }
  return { help: false, command, args, options };
}

/** A whole number option, or `fallback` when absent. */
export function intOption(
  options: CommandLine['options'],
  name: string,
  fallback: number,
  min = 0,
): number {
  const text = options[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be a whole number >= ${min}, got "${text}"`);
  }
  return value;
}

export function jsonArgument(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new UsageError(`not JSON: ${text} (a string needs quotes: '"hi"')`);
  }
}
