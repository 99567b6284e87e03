import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/processes.js';

/*
 * Every ```ts block of the README runs as a standalone program, the way a user would paste it:
 * `statewire` and `statewire/server` resolve to the sources through tsconfig `paths` (tsx), other
 * packages through the repository's node_modules. Blocks not meant to run use another fence.
 */

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
// A guard against a hung block, not a timing check: blocks run five at a time and take ~2 s alone.
const BLOCK_TIMEOUT_MS = 60_000;

interface Block {
  line: number;
  heading: string;
  code: string;
}

function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = '';
  let open: { line: number; lang: string; lines: string[] } | undefined;
  markdown.split('\n').forEach((text, index) => {
    const fence = /^```(\S*)\s*$/.exec(text);
    if (open) {
      if (fence && fence[1] === '') {
        if (open.lang === 'ts')
          blocks.push({ line: open.line, heading, code: open.lines.join('\n') });
        open = undefined;
      } else {
        open.lines.push(text);
      }
    } else if (fence) {
      open = { line: index + 1, lang: fence[1] ?? '', lines: [] };
    } else if (text.startsWith('#')) {
      heading = text.replace(/^#+\s*/, '');
    }
  });
  return blocks;
}

const blocks = tsBlocks(README);
const dir = mkdtempSync(join(tmpdir(), 'statewire-readme-'));
// An ES module package next to the repository's node_modules, like a user's project.
writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBlock(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      output += `\n[killed after ${BLOCK_TIMEOUT_MS} ms]`;
      child.kill('SIGKILL');
    }, BLOCK_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('README', () => {
  it('has the two set-up commands and the test section', () => {
    expect(README).toContain('npm install && npm run demo');
    expect(README).toMatch(/## Test\n+```sh\nnpm install && npm test\n```/);
    expect(blocks.length).toBeGreaterThanOrEqual(7);
  });

  it('has no TypeScript that would escape this test (every code block is ts or not code)', () => {
    const languages = [...README.matchAll(/^```(\S+)/gm)].map((match) => match[1]);
    expect(languages.filter((lang) => !['ts', 'sh', 'text'].includes(lang ?? ''))).toEqual([]);
  });

  it.concurrent.each(blocks.map((block) => [`line ${block.line} (${block.heading})`, block]))(
    'block at %s runs and exits 0',
    async (_name, block) => {
      const file = join(dir, `block-${block.line}.ts`);
      writeFileSync(file, block.code);
      const { code, output } = await runBlock(file);
      expect(code, output).toBe(0);
    },
    BLOCK_TIMEOUT_MS + 5_000,
  );
});
