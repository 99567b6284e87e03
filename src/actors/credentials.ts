import { type ActorSystem, fromPromise } from 'xstate';
import { StatewireError } from '../errors/StatewireError.js';
import type { CredentialMode, TokenInfo } from '../machines/auth.js';

export type TokenResult = string | { token: string; expiresAt?: number };
/** A token, or a function called on every connect and before expiry (SPEC §4). */
export type TokenSource = string | (() => TokenResult | Promise<TokenResult>);
export type ChallengeSigner = (challenge: string) => string | Promise<string>;

/**
 * Holds the secret outside every machine: machine context and events are visible to
 * inspection observers, this object is not.
 */
export class Credentials {
  #source: TokenSource | undefined;
  #token: string | undefined;

  constructor(source?: TokenSource) {
    this.set(source);
  }

  set(source: TokenSource | undefined): void {
    this.#source = source;
    this.#token = typeof source === 'string' ? source : undefined;
  }

  get mode(): CredentialMode {
    if (typeof this.#source === 'function') return 'function';
    return this.#source === undefined ? 'none' : 'static';
  }

  get token(): string | undefined {
    return this.#token;
  }

  /** Calls the token function (if any) and keeps its token; `now` reads `expiresAt`. */
  async fetch(now: () => number): Promise<TokenInfo> {
    const source = this.#source;
    if (typeof source !== 'function') return {};
    const result = await source();
    const token = typeof result === 'string' ? result : result?.token;
    if (typeof token !== 'string' || token === '') {
      throw new StatewireError('UNAUTHORIZED', 'the token function returned no token');
    }
    // A credential set meanwhile (setToken) wins over this late result.
    if (this.#source !== source) return {};
    this.#token = token;
    const expiresAt = typeof result === 'string' ? undefined : result.expiresAt;
    return expiresAt === undefined ? {} : { expiresInMs: expiresAt - now() };
  }
}

export interface CredentialDeps {
  credentials: Credentials;
  /** Epoch ms on the client's clock. */
  now(): number;
  onChallenge?: ChallengeSigner;
  /** Sends `auth {signature}` on the socket being signed in. */
  sendSignature(signature: string): void;
  /** Sends `token {token}` on the live socket; resolves on the server's answer. */
  sendToken(token: string): Promise<unknown>;
}

/** The auth machine's actors; `depsOf` finds the credential deps of the actor system they run in. */
export function createCredentialActors(depsOf: (system: ActorSystem<any>) => CredentialDeps) {
  return {
    fetchToken: fromPromise<TokenInfo>(({ system }) => {
      const deps = depsOf(system);
      return deps.credentials.fetch(deps.now);
    }),
    sendToken: fromPromise<TokenInfo>(async ({ system }) => {
      const deps = depsOf(system);
      const token = deps.credentials.token;
      if (token === undefined) throw new StatewireError('UNAUTHORIZED', 'no token to send');
      await deps.sendToken(token);
      return {};
    }),
    signChallenge: fromPromise<void, { challenge: string }>(async ({ input, system }) => {
      const deps = depsOf(system);
      if (!deps.onChallenge) {
        throw new StatewireError('UNAUTHORIZED', 'the server sent a challenge but no onChallenge');
      }
      deps.sendSignature(await deps.onChallenge(input.challenge));
    }),
  };
}
