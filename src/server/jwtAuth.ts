import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { StatewireError } from '../errors/StatewireError.js';
import type { VerifiedToken } from './options.js';

export interface JwtAuthOptions {
  /** Shared secret for HMAC tokens (HS256/384/512). */
  secret?: string | Uint8Array;
  /** Public keys for RS256 & co: a JWKS document, or the URL it is served from. */
  jwks?: JSONWebKeySet | string | URL;
  /** Accepted `alg` values (default HS256/384/512 with a secret, RS256/384/512 with jwks). */
  algorithms?: string[];
  issuer?: string | string[];
  audience?: string | string[];
  /** Seconds of clock skew allowed on `exp`/`nbf` (default 0). */
  clockToleranceSec?: number;
}

/** `auth` for createServer: uid from `sub`, expiresAt from `exp`. */
export interface JwtAuth {
  verifyToken(token: string): Promise<VerifiedToken>;
}

function keyFrom(options: JwtAuthOptions): Uint8Array | JWTVerifyGetKey {
  if (options.secret !== undefined) {
    return typeof options.secret === 'string'
      ? new TextEncoder().encode(options.secret)
      : options.secret;
  }
  const { jwks } = options;
  if (typeof jwks === 'string' || jwks instanceof URL) return createRemoteJWKSet(new URL(jwks));
  if (jwks) return createLocalJWKSet(jwks);
  throw new TypeError('jwtAuth needs a secret or jwks');
}

/** Verifies HS256/RS256 JWTs with `jose`; an expired token is TOKEN_EXPIRED. */
export function jwtAuth(options: JwtAuthOptions): JwtAuth {
  if ((options.secret === undefined) === (options.jwks === undefined)) {
    throw new TypeError('jwtAuth takes exactly one of secret or jwks');
  }
  const key = keyFrom(options);
  const algorithms =
    options.algorithms ??
    (options.secret !== undefined ? ['HS256', 'HS384', 'HS512'] : ['RS256', 'RS384', 'RS512']);
  const verifyOptions = {
    algorithms,
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSec ?? 0,
  };
  return {
    async verifyToken(token) {
      let payload: { sub?: string; exp?: number };
      try {
        // jwtVerify is overloaded on the key kind; both branches take the same options.
        ({ payload } =
          key instanceof Uint8Array
            ? await jwtVerify(token, key, verifyOptions)
            : await jwtVerify(token, key, verifyOptions));
      } catch (error) {
        if (error instanceof errors.JWTExpired)
          throw new StatewireError('TOKEN_EXPIRED', 'token expired');
        throw new StatewireError('UNAUTHORIZED', 'invalid token', { cause: error });
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new StatewireError('UNAUTHORIZED', 'token has no sub');
      }
      const verified: VerifiedToken = { uid: payload.sub };
      if (typeof payload.exp === 'number') verified.expiresAt = payload.exp * 1000;
      return verified;
    },
  };
}
