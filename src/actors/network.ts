import { type ActorSystem, fromCallback } from 'xstate';
import type { NetworkEvent } from '../machines/connection.js';

/**
 * Where the client hears about the network and the page: `window` in a browser, or any
 * `EventTarget` a test or an app dispatches `offline`, `online`, `pagehide` and `pageshow` on.
 */
export interface NetworkEventTarget {
  addEventListener(type: string, listener: (event: object) => void): void;
  removeEventListener(type: string, listener: (event: object) => void): void;
}

/** `pageshow`/`pagehide` say with `persisted` whether the page enters or leaves the bfcache. */
const persisted = (event: object) => (event as { persisted?: unknown }).persisted === true;

/** The browser's `window` when there is one; nothing to listen to elsewhere (Node). */
export function defaultNetworkEventTarget(): NetworkEventTarget | undefined {
  const window = (globalThis as { window?: Partial<NetworkEventTarget> }).window;
  return typeof window?.addEventListener === 'function'
    ? (window as NetworkEventTarget)
    : undefined;
}

/**
 * Invoked by the connection machine while it is connecting, connected or waiting to reconnect:
 * it listens only then, so a disconnected client leaves nothing on `window`. Only page
 * transitions into and out of the back/forward cache (`persisted`) count. `targetOf` finds the
 * target of the actor system it runs in.
 */
export function createNetworkLogic(
  targetOf: (system: ActorSystem<any>) => NetworkEventTarget | undefined,
) {
  return fromCallback<{ type: string }>(({ sendBack, system }) => {
    const target = targetOf(system);
    if (!target) return;
    const send = (event: NetworkEvent) => sendBack(event);
    const listeners: Record<string, (event: object) => void> = {
      offline: () => send({ type: 'NETWORK.OFFLINE' }),
      online: () => send({ type: 'NETWORK.ONLINE' }),
      pagehide: (event) => {
        if (persisted(event)) send({ type: 'PAGE.HIDDEN' });
      },
      pageshow: (event) => {
        if (persisted(event)) send({ type: 'PAGE.SHOWN' });
      },
    };
    for (const [type, listener] of Object.entries(listeners)) {
      target.addEventListener(type, listener);
    }
    return () => {
      for (const [type, listener] of Object.entries(listeners)) {
        target.removeEventListener(type, listener);
      }
    };
  });
}
