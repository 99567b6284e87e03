import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ROOT, run } from '../cli/processes.js';
import { closeServers, signIn, startServer } from './helpers.js';

/*
 * wss:// and https:// through the app's https.Server. The certificate is made here, for
 * 127.0.0.1; the statewire client runs in a child process that trusts it through
 * NODE_EXTRA_CA_CERTS (both `ws` and `fetch` use Node's CA store).
 */

const dir = mkdtempSync(join(tmpdir(), 'statewire-tls-'));
const keyFile = join(dir, 'key.pem');
const certFile = join(dir, 'cert.pem');
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ],
  { stdio: 'ignore' },
);
const tls = { key: readFileSync(keyFile), cert: readFileSync(certFile) };

const clientScript = join(dir, 'client.mts');
writeFileSync(
  clientScript,
  `import { createClient } from ${JSON.stringify(join(ROOT, 'src/index.ts'))};
const url = process.argv[2];
const reader = createClient({ url, uid: 'reader' });
const secure = reader.subscribe('secure');
await secure.ready();
const delivered = new Promise((resolve) => secure.on('message', (m) => resolve(m.content)));
const writer = createClient({ url, uid: 'writer' }); // lazy, no subscription: HTTPS
await writer.publish('secure', 'chat', 'sealed');
console.log(JSON.stringify({ content: await delivered, writerSocket: writer.isConnected }));
await reader.disconnect();
await writer.disconnect();
`,
);

let app: HttpsServer | undefined;

afterEach(async () => {
  await closeServers();
  if (app) {
    app.closeAllConnections();
    await new Promise((resolve) => app?.close(resolve));
  }
  app = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function brokerOnHttps() {
  app = createHttpsServer(tls, (_req, res) => res.end('app'));
  await new Promise<void>((resolve) => app?.listen(0, '127.0.0.1', resolve));
  const port = (app.address() as AddressInfo).port;
  const broker = await startServer({ server: app, path: '/realtime' });
  return { broker, port };
}

describe('TLS through an https.Server', () => {
  it('gives wss:// and https:// urls and serves the client over them', async () => {
    const { broker, port } = await brokerOnHttps();
    expect(broker.url).toBe(`wss://127.0.0.1:${port}/realtime`);
    expect(broker.httpUrl).toBe(`https://127.0.0.1:${port}/realtime`);

    const client = run([clientScript, broker.url], { env: { NODE_EXTRA_CA_CERTS: certFile } });
    const line = await client.line(/^\{/);
    expect(JSON.parse(line)).toEqual({ content: 'sealed', writerSocket: false });
    expect((await client.exit).code).toBe(0);
  });

  it('a client that does not trust the certificate is refused', async () => {
    const { broker } = await brokerOnHttps();
    const refused = new WebSocket(broker.url);
    const error = await new Promise<Error>((resolve) => refused.once('error', resolve));
    expect(error.message).toMatch(/self.signed|certificate/i);
    const trusting = await signIn(broker.url, 'alice', { ca: tls.cert });
    expect(broker.connections).toBe(1);
    await trusting.close();
  });
});
