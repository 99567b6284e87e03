import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  type SessionEmitted,
  type SessionInput,
  sessionMachine,
} from '../../src/machines/serverSession.js';
import { MAX_TIMER_DELAY_MS } from '../../src/machines/timerLimit.js';

function startSession(overrides: Partial<SessionInput> = {}) {
  const clock = new SimulatedClock();
  const activity = { count: 0 };
  const input: SessionInput = {
    heartbeatMs: 1000,
    handshakeTimeoutMs: 5000,
    tokenGraceMs: 3000,
    closeTimeoutMs: 500,
    activity,
    ...overrides,
  };
  const actor = createActor(sessionMachine, { input, clock });
  const emitted: SessionEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  const types = () => emitted.map((e) => e.type);
  return { actor, clock, activity, emitted, types };
}

describe('session machine', () => {
  it('walks handshake → authenticating → open for token and challenge modes', () => {
    const token = startSession();
    token.actor.send({ type: 'HELLO', mode: 'token' });
    expect(token.actor.getSnapshot().value).toEqual({ signingIn: { authenticating: 'verifying' } });
    token.actor.send({ type: 'AUTH_OK', uid: 'u1' });
    expect(token.actor.getSnapshot().hasTag('open')).toBe(true);
    expect(token.actor.getSnapshot().context.uid).toBe('u1');

    const challenge = startSession();
    challenge.actor.send({ type: 'HELLO', mode: 'challenge' });
    expect(challenge.actor.getSnapshot().value).toEqual({
      signingIn: { authenticating: 'awaitingSignature' },
    });
    challenge.actor.send({ type: 'SIGNATURE' });
    expect(challenge.actor.getSnapshot().value).toEqual({
      signingIn: { authenticating: 'verifying' },
    });
    challenge.actor.send({ type: 'AUTH_FAILED', code: 'UNAUTHORIZED' });
    expect(challenge.actor.getSnapshot().value).toBe('closing');
    expect(challenge.emitted.at(-1)).toEqual({ type: 'close', code: 1008, reason: 'UNAUTHORIZED' });
  });

  it('closes a handshake that never completes', () => {
    const s = startSession();
    s.clock.increment(4999);
    expect(s.actor.getSnapshot().value).toEqual({ signingIn: 'handshake' });
    s.clock.increment(1);
    expect(s.emitted).toEqual([{ type: 'close', code: 1008, reason: 'HANDSHAKE_TIMEOUT' }]);
  });

  it('pings every interval and closes after two silent ticks', () => {
    const s = startSession();
    s.actor.send({ type: 'HELLO', mode: 'none' });
    s.actor.send({ type: 'AUTH_OK', uid: 'u1' });
    s.clock.increment(1000);
    expect(s.types()).toEqual(['ping']);
    s.clock.increment(999);
    expect(s.actor.getSnapshot().hasTag('open')).toBe(true);
    s.clock.increment(1);
    expect(s.types()).toEqual(['ping', 'close']);
    expect(s.emitted[1]).toEqual({ type: 'close', code: 1001, reason: 'HEARTBEAT_TIMEOUT' });
  });

  it('stays open while frames keep arriving', () => {
    const s = startSession();
    s.actor.send({ type: 'HELLO', mode: 'none' });
    s.actor.send({ type: 'AUTH_OK', uid: 'u1' });
    for (let i = 0; i < 10; i++) {
      s.activity.count++;
      s.clock.increment(1000);
    }
    expect(s.actor.getSnapshot().hasTag('open')).toBe(true);
    expect(s.types().filter((t) => t === 'ping')).toHaveLength(10);
    // one silent tick is tolerated, the second closes
    s.clock.increment(1000);
    expect(s.actor.getSnapshot().hasTag('open')).toBe(true);
    s.clock.increment(1000);
    expect(s.actor.getSnapshot().value).toBe('closing');
  });

  it('has no heartbeat when heartbeatMs is 0', () => {
    const s = startSession({ heartbeatMs: 0 });
    s.actor.send({ type: 'HELLO', mode: 'none' });
    s.actor.send({ type: 'AUTH_OK', uid: 'u1' });
    s.clock.increment(60_000);
    expect(s.actor.getSnapshot().hasTag('open')).toBe(true);
    expect(s.emitted).toEqual([]);
  });

  it('expires the token, gives a grace period, then closes with TOKEN_EXPIRED', () => {
    const s = startSession({ heartbeatMs: 0 });
    s.actor.send({ type: 'HELLO', mode: 'token' });
    s.actor.send({ type: 'AUTH_OK', uid: 'u1', tokenTtlMs: 2000 });
    s.clock.increment(1999);
    expect(s.actor.getSnapshot().hasTag('tokenExpired')).toBe(false);
    s.clock.increment(1);
    expect(s.actor.getSnapshot().hasTag('tokenExpired')).toBe(true);
    expect(s.emitted).toEqual([{ type: 'tokenExpired', graceMs: 3000 }]);
    s.clock.increment(2999);
    expect(s.actor.getSnapshot().hasTag('open')).toBe(true);
    s.clock.increment(1);
    expect(s.emitted.at(-1)).toEqual({ type: 'close', code: 1008, reason: 'TOKEN_EXPIRED' });
  });

  it('a refresh during the grace period cancels it and restarts the token timer', () => {
    const s = startSession({ heartbeatMs: 0 });
    s.actor.send({ type: 'HELLO', mode: 'token' });
    s.actor.send({ type: 'AUTH_OK', uid: 'u1', tokenTtlMs: 1000 });
    s.clock.increment(1000);
    s.clock.increment(2000);
    s.actor.send({ type: 'TOKEN_REFRESHED', tokenTtlMs: 5000 });
    expect(s.actor.getSnapshot().hasTag('tokenExpired')).toBe(false);
    s.clock.increment(4999);
    expect(s.types()).toEqual(['tokenExpired']);
    s.clock.increment(1);
    expect(s.types()).toEqual(['tokenExpired', 'tokenExpired']);
    s.actor.send({ type: 'TOKEN_REFRESHED' });
    s.clock.increment(10 * MAX_TIMER_DELAY_MS);
    expect(s.actor.getSnapshot().hasTag('open')).toBe(true);
  });

  it('refreshing a valid token restarts its timer', () => {
    const s = startSession({ heartbeatMs: 0 });
    s.actor.send({ type: 'HELLO', mode: 'token' });
    s.actor.send({ type: 'AUTH_OK', uid: 'u1', tokenTtlMs: 1000 });
    s.clock.increment(900);
    s.actor.send({ type: 'TOKEN_REFRESHED', tokenTtlMs: 1000 });
    s.clock.increment(900);
    expect(s.emitted).toEqual([]);
    s.clock.increment(100);
    expect(s.types()).toEqual(['tokenExpired']);
  });

  it('waits out token lifetimes longer than one timer can hold', () => {
    const s = startSession({ heartbeatMs: 0 });
    s.actor.send({ type: 'HELLO', mode: 'token' });
    s.actor.send({ type: 'AUTH_OK', uid: 'u1', tokenTtlMs: MAX_TIMER_DELAY_MS + 1000 });
    s.clock.increment(MAX_TIMER_DELAY_MS);
    expect(s.emitted).toEqual([]);
    s.clock.increment(999);
    expect(s.emitted).toEqual([]);
    s.clock.increment(1);
    expect(s.types()).toEqual(['tokenExpired']);
  });

  it('closing asks for a close, then cuts the socket when the peer does not answer', () => {
    const s = startSession();
    s.actor.send({ type: 'HELLO', mode: 'none' });
    s.actor.send({ type: 'AUTH_OK', uid: 'u1' });
    s.actor.send({ type: 'CLOSE', code: 1001, reason: 'shutdown' });
    expect(s.emitted).toEqual([{ type: 'close', code: 1001, reason: 'shutdown' }]);
    s.actor.send({ type: 'CLOSE', code: 1013, reason: 'again' });
    s.clock.increment(500);
    expect(s.types()).toEqual(['close', 'terminate']);
    expect(s.actor.getSnapshot().status).toBe('done');
  });

  it('ends at once when the socket closes', () => {
    const s = startSession();
    s.actor.send({ type: 'SOCKET_CLOSED' });
    expect(s.actor.getSnapshot().status).toBe('done');
    s.clock.increment(60_000);
    expect(s.emitted).toEqual([]);
  });
});
