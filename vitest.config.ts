import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // examples, README blocks and the demo import the package by name, as users do
    alias: [
      { find: /^statewire\/server$/, replacement: source('server/index.ts') },
      { find: /^statewire\/testing$/, replacement: source('testing/index.ts') },
      { find: /^statewire\/link$/, replacement: source('link/index.ts') },
      { find: /^statewire$/, replacement: source('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
