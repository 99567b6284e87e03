#!/usr/bin/env node
// The `statewire` command: the built CLI when there is one (an installed package), else the
// TypeScript source through tsx (a checkout before `npm run build`).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
