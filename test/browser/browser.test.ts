import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../src/server/index.js';
import { findChromium, launchChromium } from './chromium.js';
import type { PageState } from './page.js';

/*
 * SPEC §9: the client works in a browser. The page script is bundled from the sources for the
 * browser (global WebSocket, no `ws`, no node builtins, no server code) and driven in headless
 * Chromium against the real server.
 */

declare const statewire: PageState;

let bundle: { code: string; metafile: Metafile };
let pageServer: HttpServer;
let pageUrl: string;
let browser: Browser;

beforeAll(async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    // The transport imports `ws` only where there is no global WebSocket: never in a browser.
    external: ['ws'],
  });
  bundle = { code: result.outputFiles[0]?.text ?? '', metafile: result.metafile };

  pageServer = createHttpServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(bundle.code);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        '<!doctype html><title>statewire</title><script type="module" src="/page.js"></script>',
      );
    }
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`;

  browser = await launchChromium(await findChromium());
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
});

describe('the Chromium the test drives', () => {
  it('is CHROMIUM_PATH, else a system Chromium, else the one packaged in npm', async () => {
    const present = fileURLToPath(import.meta.url);
    expect(await findChromium({ env: { CHROMIUM_PATH: present } })).toMatchObject({
      source: 'CHROMIUM_PATH',
      executablePath: present,
    });
    await expect(findChromium({ env: { CHROMIUM_PATH: '/nowhere/chromium' } })).rejects.toThrow(
      'CHROMIUM_PATH=/nowhere/chromium does not exist',
    );
    expect(
      await findChromium({ env: {}, systemPaths: ['/nowhere/chromium', present] }),
    ).toMatchObject({ source: 'system', executablePath: present });
    const packaged = await findChromium({ env: {}, systemPaths: ['/nowhere/chromium'] });
    expect(packaged.source).toBe('@sparticuz/chromium');
    expect(existsSync(packaged.executablePath)).toBe(true);
    expect(browser.version()).toMatch(/^\d+\./);
  });
});

describe('browser bundle', () => {
  it('carries no ws, no node builtins and no server code', () => {
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((path) => path.includes('src/api/createClient.ts'))).toBe(true);
    expect(inputs.filter((path) => /node_modules\/ws\/|src\/server\/|^node:/.test(path))).toEqual(
      [],
    );
    const [output] = Object.values(bundle.metafile.outputs);
    // The one import left is the transport's fallback for runtimes without a WebSocket global.
    expect(output?.imports).toEqual([{ path: 'ws', kind: 'dynamic-import', external: true }]);
    expect(bundle.code).not.toMatch(/["']node:/);
  });
});

describe('client in headless Chromium', () => {
  let server: Server;
  let page: Page;

  beforeAll(async () => {
    server = createServer({ port: 0 });
    await server.start();
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pageUrl);
    await page.waitForFunction(() => typeof statewire !== 'undefined');
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await page?.evaluate(() => statewire.stop());
    await server?.close();
  });

  it('subscribes, publishes, receives; rides out a server restart and recovers', async () => {
    const ack = await page.evaluate((url) => statewire.start(url), server.url);
    expect(ack).toEqual({ offset: 1 });
    await page.waitForFunction(() => statewire.messages.length === 1);
    expect(await page.evaluate(() => statewire.messages[0])).toMatchObject({
      room: 'browser',
      event: 'hello',
      offset: 1,
      from: 'chromium',
      content: { from: expect.stringContaining('Chrome') },
    });
    expect(await page.evaluate(() => statewire.states)).toEqual([
      'idle>connecting',
      'connecting>authenticating',
      'authenticating>connected',
    ]);

    // The server goes away: the page sees the socket close and starts reconnecting.
    await server.close();
    await page.waitForFunction(() => statewire.states.includes('connected>reconnecting'));
    expect(await page.evaluate(() => statewire.disconnects)).toEqual([
      { code: 1001, willReconnect: true },
    ]);
    await server.publish('browser', 'missed', 1);

    await server.start();
    await page.waitForFunction(() => statewire.states.at(-1) === 'authenticating>connected');
    await page.waitForFunction(() => statewire.recovered.length === 1);
    expect(await page.evaluate(() => statewire.recovered)).toEqual([
      { recovered: true, missed: 1 },
    ]);

    await server.publish('browser', 'live', 2);
    await page.waitForFunction(() => statewire.messages.length === 3);
    const received = await page.evaluate(() =>
      statewire.messages.map(({ event, offset }) => `${event}#${offset}`),
    );
    expect(received).toEqual(['hello#1', 'missed#2', 'live#3']);
  });

  it('offline drops at once, online reconnects without the backoff, bfcache closes and recovers', async () => {
    await page.evaluate((url) => statewire.aware.start(url), server.url);
    const lastState = () => page.evaluate(() => statewire.aware.states.at(-1));
    expect(await lastState()).toBe('authenticating>connected');

    // The browser goes offline: no heartbeat is missed first, the loss is immediate.
    await page.context().setOffline(true);
    await page.waitForFunction(() => statewire.aware.disconnects.includes('network offline'));
    expect(await lastState()).toBe('connected>reconnecting');
    // Back online: the one-minute backoff is cut short (the test would time out otherwise).
    await page.context().setOffline(false);
    await page.waitForFunction(() => statewire.aware.states.at(-1) === 'authenticating>connected');

    // Into the back/forward cache: a clean close, then nothing until the page is shown again.
    await page.evaluate(() => statewire.aware.pageTransition('pagehide', true));
    await page.waitForFunction(() =>
      statewire.aware.disconnects.includes('page hidden (back/forward cache)'),
    );
    await server.publish('aware', 'while hidden', 1);
    await page.evaluate(() => statewire.aware.pageTransition('pageshow', true));
    await page.waitForFunction(() => statewire.aware.recovered.length === 2);
    expect(await page.evaluate(() => statewire.aware.recovered)).toEqual([
      { recovered: true, missed: 0 },
      { recovered: true, missed: 1 },
    ]);
    expect(await page.evaluate(() => statewire.aware.messages)).toEqual([1]);
    await page.evaluate(() => statewire.aware.stop());
  });
});
