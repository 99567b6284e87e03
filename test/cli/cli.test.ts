import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { Output } from '../../src/cli/output.js';
import { runCli } from '../../src/cli/run.js';
import { createClient } from '../../src/index.js';
import { createServer, jwtAuth, type Server } from '../../src/server/index.js';
import { type Running, run, stop } from './processes.js';

/* The `statewire` command: real processes for serve/sub/pub, runCli in-process for the rest. */

const CLI = 'src/cli/main.ts';
const running: Running[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((process) => stop(process)));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function cli(...args: string[]): Running {
  const process = run([CLI, ...args]);
  running.push(process);
  return process;
}

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  const io: Output = { out: (line) => out.push(line), err: (line) => err.push(line) };
  return { io, out, err };
}

async function startServer(options: Parameters<typeof createServer>[0] = {}) {
  const server = createServer({ port: 0, ...options });
  await server.start();
  servers.push(server);
  return server;
}

describe('statewire CLI processes', () => {
  it('serve prints its URL first; sub prints what pub publishes; Ctrl-C stops serve', async () => {
    const server = cli('serve', '--port', '0');
    const url = await server.line(/^ws:\/\//);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);

    const subscriber = cli('sub', 'lobby', '--count', '2', '--url', url);
    await subscriber.line(/^subscribed to lobby$/, 'stderr');

    const pub = cli('pub', 'lobby', 'chat', '{"text":"hi"}', '--url', url, '--uid', 'alice');
    expect(await pub.exit).toEqual({ code: 0, signal: null });
    expect(JSON.parse(pub.stdout[0] ?? '')).toMatchObject({ offset: 1 });
    // Any HTTP client can publish too (docs/protocol.md §16).
    const response = await fetch(`${url.replace('ws:', 'http:')}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-statewire-uid': 'bob' },
      body: JSON.stringify({ room: 'lobby', event: 'chat', content: 'bye' }),
    });
    expect(response.status).toBe(200);

    expect(await subscriber.exit).toEqual({ code: 0, signal: null });
    expect(subscriber.stdout.filter(Boolean).map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        room: 'lobby',
        event: 'chat',
        content: { text: 'hi' },
        offset: 1,
        from: 'alice',
      }),
      expect.objectContaining({ content: 'bye', offset: 2, from: 'bob' }),
    ]);

    server.child.kill('SIGINT');
    expect(await server.exit).toEqual({ code: 0, signal: null });
    expect(server.stderr).toContain('shutting down');
  });

  it('the bin script runs the CLI from a checkout; bad usage exits 2 with the usage', async () => {
    const bad = run(['bin/statewire.mjs', 'pub', 'lobby'], { tsx: false });
    running.push(bad);
    expect((await bad.exit).code).toBe(2);
    expect(bad.stdout).toEqual([]);
    expect(bad.stderr.join('\n')).toMatch(/pub takes <room> <event> <json>[\s\S]*Usage: statewire/);
  });
});

describe('statewire CLI commands', () => {
  it.each([
    [[]],
    [['frobnicate']],
    [['sub']],
    [['sub', 'a', 'b']],
    [['sub', 'lobby', '--colour', 'red']],
    [['sub', 'lobby', '--count', 'many']],
    [['sub', 'lobby', '--count', '0']],
    [['pub', 'lobby', 'chat', '{not json']],
    [['serve', '--port', '-1']],
  ])('%j is bad usage (2)', async (argv) => {
    const { io, out, err } = captured();
    expect(await runCli(argv, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/^statewire: /);
    expect(err.join('\n')).toContain('Usage: statewire');
  });

  it('--help prints the usage to stdout (0)', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['sub', '--help']]) {
      const { io, out, err } = captured();
      expect(await runCli(argv, io)).toBe(0);
      expect(out.join('\n')).toMatch(/^Usage: statewire[\s\S]*serve[\s\S]*pub[\s\S]*sub/);
      expect(err).toEqual([]);
    }
  });

  it('serve --token-secret: no token is UNAUTHORIZED (1), a signed JWT gets through', async () => {
    const secret = 'cli-test-secret';
    const server = await startServer({ auth: jwtAuth({ secret }) });
    const refused = captured();
    expect(await runCli(['pub', 'r', 'e', '1', '--url', server.url], refused.io)).toBe(1);
    expect(refused.err).toEqual([expect.stringMatching(/^UNAUTHORIZED: /)]);

    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('carol')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    const ok = captured();
    expect(await runCli(['pub', 'r', 'e', '1', '--url', server.url, '--token', token], ok.io)).toBe(
      0,
    );
    const ack = JSON.parse(ok.out[0] ?? '');
    const page = await server.engine.history('r', {});
    expect(page.messages).toEqual([expect.objectContaining({ id: ack.id, from: 'carol' })]);
  });

  it('an unreachable server is UNAVAILABLE (1)', async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();
    const { io, err } = captured();
    expect(await runCli(['sub', 'lobby', '--url', url], io)).toBe(1);
    expect(err.at(-1)).toMatch(/^UNAVAILABLE: /);
  });

  it('request prints the reply of the server handler; without one it is NOT_FOUND (1)', async () => {
    const server = await startServer();
    server.on('add', (content) => (content as number[]).reduce((a, b) => a + b, 0));
    const { io, out } = captured();
    expect(await runCli(['request', 'add', '[1,2,3]', '--url', server.url], io)).toBe(0);
    expect(out).toEqual(['6']);

    const failed = captured();
    expect(
      await runCli(['request', 'nobody-handles-this', '1', '--url', server.url], failed.io),
    ).toBe(1);
    expect(failed.err).toEqual(['NOT_FOUND: no handler for event "nobody-handles-this"']);
  });

  it('rpc prints the reply of a queue consumer', async () => {
    const server = await startServer();
    const worker = createClient({ url: server.url, uid: 'worker' });
    try {
      await worker.registerQueue('double', ({ data }) => (data as number) * 2);
      const { io, out } = captured();
      expect(await runCli(['rpc', 'double', '21', '--url', server.url], io)).toBe(0);
      expect(out).toEqual(['42']);
    } finally {
      await worker.disconnect();
    }
  });

  it('bench pushes messages through an embedded server and reports the rate', async () => {
    const { io, out } = captured();
    expect(await runCli(['bench', '--messages', '300'], io)).toBe(0);
    expect(JSON.parse(out[0] ?? '')).toMatchObject({
      messages: 300,
      perSecond: expect.any(Number),
    });
  });
});
