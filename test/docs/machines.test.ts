import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { MACHINES_DOC_PATH, renderMachinesDoc } from '../../scripts/machinesDoc.js';

it('docs/machines.md matches the machine definitions (run `npm run docs:machines`)', () => {
  expect(readFileSync(MACHINES_DOC_PATH, 'utf8')).toBe(renderMachinesDoc());
});
