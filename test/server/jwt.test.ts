import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { StatewireError } from '../../src/errors/StatewireError.js';
import { jwtAuth } from '../../src/server/index.js';
import { closeServers, connect, startServer } from './helpers.js';

afterEach(closeServers);

const SECRET = 'a-very-long-shared-secret-for-hs256-tests';

function hs256(sub: string | undefined, exp: number | string, secret = SECRET) {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp);
  if (sub !== undefined) jwt.setSubject(sub);
  return jwt.sign(new TextEncoder().encode(secret));
}

async function codeOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error instanceof StatewireError ? error.code : String(error);
  }
  return 'resolved';
}

async function rsaKeys() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const sign = (sub: string, exp: string | number = '1h') =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject(sub)
      .setExpirationTime(exp)
      .sign(privateKey);
  return { jwks: { keys: [jwk] }, sign };
}

// RSA key generation is slow: one signer for the suite, one stranger.
let signers: Promise<[Awaited<ReturnType<typeof rsaKeys>>, Awaited<ReturnType<typeof rsaKeys>>]>;
const keys = () => {
  signers ??= Promise.all([rsaKeys(), rsaKeys()]);
  return signers;
};

describe('jwtAuth', () => {
  it('HS256: uid from sub, expiresAt from exp', async () => {
    const auth = jwtAuth({ secret: SECRET });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    expect(await auth.verifyToken(await hs256('alice', exp))).toEqual({
      uid: 'alice',
      expiresAt: exp * 1000,
    });
  });

  it('HS256: expired → TOKEN_EXPIRED, wrong secret or no sub → UNAUTHORIZED', async () => {
    const auth = jwtAuth({ secret: SECRET });
    const past = Math.floor(Date.now() / 1000) - 10;
    expect(await codeOf(auth.verifyToken(await hs256('alice', past)))).toBe('TOKEN_EXPIRED');
    const forged = await hs256('alice', '1h', 'another-secret-of-sufficient-length-xx');
    expect(await codeOf(auth.verifyToken(forged))).toBe('UNAUTHORIZED');
    expect(await codeOf(auth.verifyToken(await hs256(undefined, '1h')))).toBe('UNAUTHORIZED');
    expect(await codeOf(auth.verifyToken('not.a.jwt'))).toBe('UNAUTHORIZED');
  });

  it('RS256 with a local JWKS; an HS256 token is refused', async () => {
    const [{ jwks, sign }, other] = await keys();
    const auth = jwtAuth({ jwks });
    expect((await auth.verifyToken(await sign('bob'))).uid).toBe('bob');
    expect(
      await codeOf(auth.verifyToken(await sign('bob', Math.floor(Date.now() / 1000) - 5))),
    ).toBe('TOKEN_EXPIRED');
    expect(await codeOf(auth.verifyToken(await hs256('bob', '1h')))).toBe('UNAUTHORIZED');
    expect(await codeOf(auth.verifyToken(await other.sign('bob')))).toBe('UNAUTHORIZED');
  });

  it('RS256 with a JWKS URL', async () => {
    const [{ jwks, sign }] = await keys();
    const keyServer = createHttpServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = keyServer.address() as AddressInfo;
      const auth = jwtAuth({ jwks: `http://127.0.0.1:${port}/.well-known/jwks.json` });
      expect((await auth.verifyToken(await sign('carol'))).uid).toBe('carol');
    } finally {
      keyServer.closeAllConnections();
      await new Promise((resolve) => keyServer.close(resolve));
    }
  });

  it('needs exactly one of secret or jwks', () => {
    expect(() => jwtAuth({})).toThrow(TypeError);
    expect(() => jwtAuth({ secret: 's', jwks: { keys: [] } })).toThrow(TypeError);
  });

  it('plugs into createServer as auth', async () => {
    const server = await startServer({ auth: jwtAuth({ secret: SECRET }) });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const client = await connect(server.url, { token: await hs256('alice', exp) });
    expect(await client.next('welcome')).toMatchObject({ uid: 'alice', expiresAt: exp * 1000 });

    const late = await connect(server.url, {
      token: await hs256('alice', Math.floor(Date.now() / 1000) - 10),
    });
    expect(await late.next('error')).toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect(await late.closed).toEqual({ code: 1008, reason: 'TOKEN_EXPIRED' });

    const [{ sign }] = await keys();
    const wrongKind = await connect(server.url, { token: await sign('alice') });
    expect(await wrongKind.closed).toEqual({ code: 1008, reason: 'UNAUTHORIZED' });
  });
});
