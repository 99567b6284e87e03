import { afterEach, describe, expect, it } from 'vitest';
import { signIn, subscribe } from '../server/helpers.js';
import { type Running, run, stop } from './processes.js';

const CLI = 'src/cli/main.ts';
const running: Running[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((process) => stop(process)));
});

describe('statewire serve on SIGUSR2', () => {
  it('prints server.stats() as a JSON line and keeps serving', async () => {
    const serve = run([CLI, 'serve', '--port', '0']);
    running.push(serve);
    const url = await serve.line(/^ws:\/\//);
    const alice = await signIn(url, 'alice');
    await subscribe(alice, 'lobby');

    serve.child.kill('SIGUSR2');
    const stats = JSON.parse(await serve.line(/^\{"connections"/));
    expect(stats).toMatchObject({ connections: 1, sessions: 1, rooms: 2, consumers: 0 });
    expect(stats.historyBytes).toBe(0);
    expect(serve.child.exitCode).toBeNull();
    await alice.close();
  });
});
