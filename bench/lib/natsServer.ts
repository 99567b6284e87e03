import { spawn } from 'node:child_process';
import { freePort } from './port.js';

export interface NatsServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server -a 127.0.0.1 -p <free port>` and waits for "Server is ready".
 * Resolves `{ missing }` when the binary is not on PATH; stop() kills it by PID.
 */
export async function startNatsServer(
  timeoutMs = 10_000,
): Promise<NatsServer | { missing: string }> {
  const port = await freePort();
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const killOnExit = () => child.pid && process.kill(child.pid, 'SIGKILL');
  const ready = await new Promise<true | string>((resolve) => {
    let log = '';
    const timer = setTimeout(
      () => resolve(`nats-server not ready in ${timeoutMs} ms: ${log}`),
      timeoutMs,
    );
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ENOENT' ? 'nats-server not found on PATH' : String(error));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`nats-server exited with ${code}: ${log}`);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
  if (ready !== true || child.pid === undefined) {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    return { missing: ready === true ? 'nats-server started without a PID' : ready };
  }
  const pid = child.pid;
  process.once('exit', killOnExit);
  child.stderr.resume();
  return {
    port,
    pid,
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', killOnExit);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(pid, 'SIGTERM');
      }),
  };
}
