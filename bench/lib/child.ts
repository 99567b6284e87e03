import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs a broker script in its own Node process (tsx loader) and waits for the port it prints. */
export async function startBroker(
  script: string,
  args: string[] = [],
): Promise<{ port: number; child: ChildProcess; stop(): Promise<void> }> {
  const path = fileURLToPath(new URL(`../brokers/${script}`, import.meta.url));
  const child = fork(path, args, { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`broker ${script} exited with ${code}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { port, child, stop };
}
