import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process whose output is kept as lines, with waits on what it prints. */
export interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<Exit>;
  /** Resolves with the first line (seen or to come) matching; rejects if the process ends first. */
  line(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<string>;
}

/** Runs `node [--import tsx] <args>` in the repository root. */
export function run(args: string[], options: { tsx?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const argv = options.tsx === false ? args : ['--import', 'tsx', ...args];
  const child = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const waiters: Array<{ stream: 'stdout' | 'stderr'; pattern: RegExp; resolve(l: string): void }> =
    [];
  let ended = false;
  const enders: Array<() => void> = [];

  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) {
        lines[stream].push(text);
        for (const waiter of waiters.filter((w) => w.stream === stream && w.pattern.test(text))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(text);
        }
      }
    });
  }

  const exit = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      ended = true;
      for (const end of enders.splice(0)) end();
      resolve({ code, signal });
    });
  });

  const running: Running = {
    child,
    stdout: lines.stdout,
    stderr: lines.stderr,
    exit,
    line(pattern, stream = 'stdout') {
      const seen = lines[stream].find((text) => pattern.test(text));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const fail = () =>
          reject(
            new Error(
              `process ended without printing ${pattern} on ${stream}\n` +
                `stdout:\n${lines.stdout.join('\n')}\nstderr:\n${lines.stderr.join('\n')}`,
            ),
          );
        if (ended) return fail();
        waiters.push({ stream, pattern, resolve });
        enders.push(fail);
      });
    },
  };
  return running;
}

/** Ends a process started by a test (if still running) and waits for it. */
export async function stop(running: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
  if (running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill(signal);
  }
  return running.exit;
}
