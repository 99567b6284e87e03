/**
 * `npx tsx bench/profile.ts [peer] [messages] [subscribers]`: CPU-profiles one 1:1 run (default
 * statewire, 100,000 messages; 1:N with `subscribers`) in the client process and the broker
 * process, and tells per message where
 * the CPU goes inside the timed window: µs per message, writev, GC, decode, encode shares.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mainThreadProfilesIn, summariseProfile } from './lib/cpuProfile.js';

const dir = mkdtempSync(join(tmpdir(), 'statewire-profile-'));
const clientDir = join(dir, 'client');
const brokerDir = join(dir, 'broker');
mkdirSync(clientDir);
mkdirSync(brokerDir);
const run = spawnSync(
  process.execPath,
  [
    '--cpu-prof',
    `--cpu-prof-dir=${clientDir}`,
    '--import',
    'tsx',
    fileURLToPath(new URL('./profileRun.ts', import.meta.url)),
    ...process.argv.slice(2),
  ],
  { env: { ...process.env, BENCH_BROKER_PROF: brokerDir }, encoding: 'utf8', timeout: 300_000 },
);
if (run.status !== 0) throw new Error(`profile run failed: ${run.stderr}`);
const window = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
console.log(
  `${window.peer} 1:${window.subscribers}, ${window.messages} messages: ${window.msgPerSec} msg/s`,
);
for (const [side, files] of [
  ['client (publisher + subscriber)', mainThreadProfilesIn(clientDir)],
  ['broker', mainThreadProfilesIn(brokerDir)],
] as const) {
  for (const file of files) {
    const summary = summariseProfile(file, window);
    console.log(
      `\n${side}: ${summary.activeMs} ms active of ${summary.wallMs} ms wall, ${summary.usPerMessage} µs/message`,
    );
    for (const [category, share] of Object.entries(summary.shares))
      console.log(`  ${String(share).padStart(5)}%  ${category}`);
    console.log('  top self time:');
    for (const { fn, share } of summary.top) console.log(`  ${String(share).padStart(5)}%  ${fn}`);
  }
}
console.log(`\nprofiles in ${dir}`);
