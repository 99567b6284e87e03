import { type CommandLine, parseCommandLine } from './args.js';
import { bench } from './bench.js';
import { pub, request, rpc, sub } from './clientCommands.js';
import { type Output, processOutput } from './output.js';
import { serve } from './serve.js';
import { USAGE, UsageError } from './usage.js';

const COMMANDS: Record<string, (line: CommandLine, io: Output) => Promise<void>> = {
  serve,
  pub,
  sub,
  request,
  rpc,
  bench,
};

/** `code: message` for anything a command throws (StatewireError and Node errors carry a code). */
function describeError(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return `${typeof code === 'string' ? code : 'INTERNAL'}: ${text}`;
}

/** Runs one command line; resolves with the exit status (0 done, 1 failed, 2 bad usage). */
export async function runCli(argv: string[], io: Output = processOutput): Promise<number> {
  try {
    const line = parseCommandLine(argv);
    if (line.help) {
      io.out(USAGE.trimEnd());
      return 0;
    }
    const command = COMMANDS[line.command] as (typeof COMMANDS)[string];
    await command(line, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`statewire: ${error.message}\n`);
      io.err(USAGE.trimEnd());
      return 2;
    }
    io.err(describeError(error));
    return 1;
  }
}
