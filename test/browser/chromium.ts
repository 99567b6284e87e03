/*
 * Which Chromium the browser test drives: `CHROMIUM_PATH`, else a system Chromium, else the one
 * packaged in npm `@sparticuz/chromium` (so `npm install && npm test` passes on a machine with no
 * browser, SPEC §9). Never a silent skip: with no browser at all the launch fails saying why.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const SYSTEM_CHROMIUMS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
];

const SYSTEM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-gpu'];

export interface ChromiumChoice {
  source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
  executablePath: string;
  args: string[];
}

export interface ChromiumLookup {
  env?: Record<string, string | undefined>;
  /** Paths tried for a system Chromium, in order. */
  systemPaths?: readonly string[];
}

export async function findChromium({
  env = process.env,
  systemPaths = SYSTEM_CHROMIUMS,
}: ChromiumLookup = {}): Promise<ChromiumChoice> {
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return { source: 'CHROMIUM_PATH', executablePath: fromEnv, args: SYSTEM_ARGS };
  }
  const system = systemPaths.find((path) => existsSync(path));
  if (system) return { source: 'system', executablePath: system, args: SYSTEM_ARGS };
  try {
    const { default: packaged } = await import('@sparticuz/chromium');
    return {
      source: '@sparticuz/chromium',
      executablePath: await packaged.executablePath(),
      args: packaged.args,
    };
  } catch (error) {
    throw new Error(
      `No Chromium for the browser test: CHROMIUM_PATH is unset, none of ${systemPaths.join(', ')} exists, and @sparticuz/chromium could not unpack its browser (${(error as Error).message}). Run npm install, or set CHROMIUM_PATH.`,
    );
  }
}

export async function launchChromium(choice: ChromiumChoice): Promise<Browser> {
  try {
    return await chromium.launch({
      executablePath: choice.executablePath,
      args: choice.args,
      headless: true,
    });
  } catch (error) {
    throw new Error(
      `Chromium from ${choice.source} (${choice.executablePath}) failed to launch: ${(error as Error).message}`,
    );
  }
}
