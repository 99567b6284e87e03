import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT, run } from '../cli/processes.js';

describe('npm run demo', () => {
  it('runs the whole lifecycle story and exits 0 by itself', async () => {
    const { scripts } = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8'));
    expect(scripts.demo).toBe('tsx scripts/demo.ts');
    const demo = run(['scripts/demo.ts']);
    const exit = await demo.exit;
    const output = demo.stdout.join('\n');
    expect(exit, demo.stderr.join('\n')).toEqual({ code: 0, signal: null });
    // The story, in order: connect, receive, lose the server, come back, recover, carry on.
    const story = [
      /server {2}listening on ws:\/\/127\.0\.0\.1:\d+/,
      /reader {2}connecting$/,
      /reader {2}connected/,
      /reader {2}signed in as "reader"/,
      /reader {2}← #1 headline .* from writer/,
      /reader {2}disconnected: server shutting down \(1001\), will reconnect/,
      /reader {2}connecting again \(retry 1\)/,
      /reader {2}← #2 headline/,
      /reader {2}← #3 headline/,
      /reader {2}recovered: 2 message\(s\) missed while away/,
      /reader {2}← #4 headline .* from writer/,
      /reader {2}disconnected: client disconnect$/,
      /server {2}closed; demo done/,
    ];
    // The transient writer's acks race with the deliveries: checked apart from the order.
    expect(output).toMatch(/writer {2}published #1 over HTTP \(no socket, state "idle"\)/);
    expect(output).toMatch(/writer {2}published #4 over HTTP/);
    let from = 0;
    for (const pattern of story) {
      const index = demo.stdout.findIndex((line, i) => i >= from && pattern.test(line));
      expect(index, `${pattern} after line ${from} in:\n${output}`).toBeGreaterThanOrEqual(0);
      from = index + 1;
    }
  });
});
