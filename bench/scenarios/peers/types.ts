import type { PeerSession } from '../../lib/deliveryWindow.js';

export type PeerKey = 'nats' | 'socketIo' | 'rawWs' | 'statewire';

/** A peer's broker, running in its own process, that opens sessions of the bench pattern. */
export interface PeerBroker {
  /** A publisher and `subscribers` subscribers of room/subject `bench`, all joined. */
  open(subscribers: number, onDelivery: (subscriber: number) => void): Promise<PeerSession>;
  stop(): Promise<void>;
}

export interface Peer {
  key: PeerKey;
  label: string;
  /** Starts the broker, or says why it can't (the row then stays empty). */
  start(): Promise<PeerBroker | { missing: string }>;
}

/** Room / subject every pattern publishes to. */
export const ROOM = 'bench';
