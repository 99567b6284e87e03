import { type ChildProcess, spawn } from 'node:child_process';
import {
  connect,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from 'node:net';
import { nanoid } from 'nanoid';
import { type Running, run, stop } from '../cli/processes.js';
import { deleteKeys, REDIS_URL } from '../engines/contract/fixtures.js';

/* Real server processes (`statewire serve --redis`), a Redis of a test's own and a proxy. */

export const LEASE_MS = 2000;

export interface Node {
  url: string;
  process: Running;
}

const running: Running[] = [];
const prefixes: string[] = [];

/** A fresh key prefix: the nodes started with it are one broker. */
export function clusterPrefix(): string {
  const prefix = `swtest:${nanoid(8)}`;
  prefixes.push(prefix);
  return prefix;
}

/** One `statewire serve` process on a free port, on `redisUrl` under `prefix`. */
export async function startNode(prefix: string, redisUrl = REDIS_URL): Promise<Node> {
  const child = run([
    'src/cli/main.ts',
    'serve',
    '--port',
    '0',
    '--redis',
    redisUrl,
    '--redis-prefix',
    prefix,
    '--lease-ms',
    String(LEASE_MS),
  ]);
  running.push(child);
  const url = await child.line(/^ws:\/\//);
  return { url, process: child };
}

/** Ends every process a test started (by its PID) and deletes the test's keys. */
export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((p) => stop(p)));
  await deleteKeys(prefixes.splice(0));
}

/** A free loopback port (taken and released). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server of the test's own, without persistence: a restart loses everything. */
export class OwnRedis {
  private child: ChildProcess | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', () => reject(new Error(`redis-server exited: ${seen}`)));
    });
  }

  /** SIGKILL by PID: no goodbye, nothing saved. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A TCP proxy in front of the nodes: clients connect to it, it forwards to `target`. Cutting
 * it drops every connection and refuses new ones until it is pointed somewhere again.
 */
export class NodeProxy {
  private target: number | null;
  private readonly sockets = new Set<Socket>();
  private readonly server: TcpServer;
  port = 0;

  constructor(target: string) {
    this.target = portOf(target);
    this.server = createTcpServer((socket) => {
      if (this.target === null) {
        socket.destroy();
        return;
      }
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [socket, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          socket.destroy();
          upstream.destroy();
        });
      }
      socket.pipe(upstream).pipe(socket);
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.target = null;
    for (const socket of this.sockets) socket.destroy();
  }

  pointAt(url: string): void {
    this.target = portOf(url);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}
