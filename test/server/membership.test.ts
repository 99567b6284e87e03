import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/engines/Engine.js';
import { Membership } from '../../src/server/membership.js';
import { EncodedMessage } from '../../src/server/wire.js';

/* A membership of a connection with `echo: false`: which copies of its own publishes it passes
 * over, whatever comes first, the engine's answer or the fan-out. */

function message(offset: number, id = `m${offset}`): StoredMessage {
  return { room: 'r', event: 'e', content: offset, offset, epoch: 'e1', id, at: 0 };
}

function member() {
  const sent: string[] = [];
  const sink = {
    enqueue: (frame: string) => sent.push(frame),
    enqueueMessage: (encoded: EncodedMessage) => sent.push(`#${encoded.message.offset}`),
    close: () => {},
  };
  const membership = new Membership(sink, 'r');
  membership.release({ epoch: 'e1', offset: 0 });
  const deliver = (m: StoredMessage) => membership.deliver(m, new EncodedMessage(m));
  return { membership, sent, deliver };
}

describe('Membership, echo off', () => {
  it('passes over its own message whether the fan-out comes before or after the answer', () => {
    const { membership, sent, deliver } = member();
    membership.expectOwn('own-1');
    deliver(message(1, 'own-1')); // memory engine: fanned out before the answer
    membership.settleOwn('own-1', message(1, 'own-1'));
    membership.expectOwn('own-3');
    membership.settleOwn('own-3', message(3, 'own-3')); // Redis: answered first
    deliver(message(2));
    deliver(message(3, 'own-3'));
    deliver(message(3, 'own-3')); // the channel's copy after the feed's
    deliver(message(4));
    expect(sent).toEqual(['#2', '#4']);
  });

  it('forgets a failed publish and a repeat answered with an older message', () => {
    const { membership, sent, deliver } = member();
    deliver(message(1));
    membership.expectOwn('m1');
    membership.settleOwn('m1', message(1)); // its mid was stored already, as offset 1
    membership.expectOwn('failed');
    membership.settleOwn('failed', null);
    deliver(message(2, 'failed')); // another connection's message with that id is not its own
    expect(membership.passOwn(message(1))).toBe(false);
    expect(sent).toEqual(['#1', '#2']);
  });

  it('a mid resent before its copy came is passed over once, and later own messages still are', () => {
    const { membership, sent, deliver } = member();
    membership.expectOwn('own-1');
    membership.expectOwn('own-1');
    // Both answered before the copy comes (Redis: the answer may overtake the fan-out).
    membership.settleOwn('own-1', message(1, 'own-1'));
    membership.settleOwn('own-1', message(1, 'own-1'));
    deliver(message(1, 'own-1'));
    membership.expectOwn('own-2');
    deliver(message(2, 'own-2'));
    deliver(message(3, 'theirs'));
    expect(sent).toEqual(['#3']);
  });

  it('keeps at most 1024 ids: an id no copy takes (a repeated mid) goes in the end', () => {
    const { membership, sent, deliver } = member();
    membership.expectOwn('stuck');
    for (let i = 1; i <= 1024; i++) membership.expectOwn(`own-${i}`);
    deliver(message(1, 'own-1'));
    expect(sent).toEqual([]);
  });

  it('while held, the catch-up passes its own message and the held copy is dropped', () => {
    const { membership, sent, deliver } = member();
    membership.hold();
    membership.expectOwn('own-1');
    deliver(message(1, 'own-1'));
    expect(membership.passOwn(message(1, 'own-1'))).toBe(true); // the replay's copy
    membership.release({ epoch: 'e1', offset: 1 });
    deliver(message(2));
    expect(sent).toEqual(['#2']);
  });
});
