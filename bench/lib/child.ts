import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Broker {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
  /** Broker heap after GC (statewire broker only). */
  heap(): Promise<number>;
  /** Destroys every TCP socket of the broker at once; how many (statewire broker, cuttable). */
  cut(): Promise<number>;
  /** The broker's CPU time so far, µs (statewire broker only). */
  cpu(): Promise<number>;
}

/** BENCH_BROKER_PROF=dir writes a CPU profile of each broker process there. */
const profiling = process.env.BENCH_BROKER_PROF
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_BROKER_PROF}`]
  : [];

/** Runs a broker script in its own Node process (tsx loader) and waits for the port it prints. */
export async function startBroker(script: string, args: string[] = []): Promise<Broker> {
  const path = fileURLToPath(new URL(`../brokers/${script}`, import.meta.url));
  const child = fork(path, args, {
    execArgv: ['--import', 'tsx', '--expose-gc', ...profiling],
    stdio: 'inherit',
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`broker ${script} exited with ${code}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const ask = <T>(question: string, key: string) =>
    new Promise<T>((resolve) => {
      const onMessage = (message: unknown) => {
        const answer = message as Record<string, T>;
        if (!(key in answer)) return;
        child.off('message', onMessage);
        resolve(answer[key]);
      };
      child.on('message', onMessage);
      child.send(question);
    });
  return {
    port,
    child,
    stop,
    heap: () => ask<number>('heap', 'heap'),
    cut: () => ask<number>('cut', 'cut'),
    cpu: () => ask<number>('cpu', 'cpu'),
  };
}
