import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/** Long runs outside `npm test`: `npm run fuzz` (test/fuzz/*.long.ts). */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/**/*.long.ts'],
      testTimeout: 3_600_000,
      execArgv: ['--expose-gc'],
    },
  }),
);
