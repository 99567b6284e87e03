import { measureWindowed } from '../lib/deliveryWindow.js';
import { round } from '../lib/stats.js';
import { natsPeer } from './peers/nats.js';
import { rawWsPeer } from './peers/rawWs.js';
import { socketIoPeer } from './peers/socketIo.js';
import { statewirePeer } from './peers/statewire.js';
import type { Peer, PeerKey } from './peers/types.js';

export const PEERS: Peer[] = [natsPeer, socketIoPeer, rawWsPeer, statewirePeer];

export interface PatternLoad {
  subscribers: number;
  messages: number;
}

export interface PeersOptions {
  rounds: number;
  inFlight: number;
  oneToOne: PatternLoad;
  fanOut: PatternLoad;
  log?: (line: string) => void;
}

type PerPeer<T> = Record<PeerKey, T>;

export interface PatternResult {
  /** Median per peer (msg/s for 1:1, deliveries/s for fan-out); null when not measured. */
  median: PerPeer<number | null>;
  rounds: PerPeer<number[]>;
  vsNats: number | null;
  vsSocketIo: number | null;
  vsRawWs: number | null;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : Math.round((sorted[middle - 1] + sorted[middle]) / 2);
}

function perPeer<T>(make: () => T): PerPeer<T> {
  return { nats: make(), socketIo: make(), rawWs: make(), statewire: make() };
}

function summarise(rounds: PerPeer<number[]>): PatternResult {
  const medians = perPeer<number | null>(() => null);
  for (const peer of PEERS) medians[peer.key] = median(rounds[peer.key]);
  const ratio = (key: PeerKey) => {
    const own = medians.statewire;
    const other = medians[key];
    return own === null || other === null ? null : round(own / other);
  };
  return {
    median: medians,
    rounds,
    vsNats: ratio('nats'),
    vsSocketIo: ratio('socketIo'),
    vsRawWs: ratio('rawWs'),
  };
}

/**
 * Every peer on both patterns, in `rounds` rounds with the peer order rotated each round so
 * drift on a shared machine spreads over all of them; each peer's broker is fresh per round.
 */
export async function peers(options: PeersOptions) {
  const log = options.log ?? (() => {});
  const oneToOne = perPeer<number[]>(() => []);
  const fanOut = perPeer<number[]>(() => []);
  const missing: Partial<PerPeer<string>> = {};
  const measure = (broker: Awaited<ReturnType<Peer['start']>>, load: PatternLoad) => {
    if ('missing' in broker) throw new Error(broker.missing);
    return measureWindowed((onDelivery) => broker.open(load.subscribers, onDelivery), {
      ...load,
      inFlight: options.inFlight,
      warmup: Math.max(options.inFlight, Math.round(load.messages / 10)),
    });
  };
  for (let r = 0; r < options.rounds; r++) {
    const order = PEERS.map((_, i) => PEERS[(i + r) % PEERS.length]);
    for (const peer of order) {
      if (missing[peer.key]) continue;
      const broker = await peer.start();
      if ('missing' in broker) {
        missing[peer.key] = broker.missing;
        log(`${peer.label}: not measured (${broker.missing})`);
        continue;
      }
      try {
        const one = await measure(broker, options.oneToOne);
        oneToOne[peer.key].push(one);
        const fan = await measure(broker, options.fanOut);
        fanOut[peer.key].push(fan);
        log(
          `round ${r + 1} ${peer.label.padEnd(22)} 1:1 ${one} msg/s  1:${options.fanOut.subscribers} ${fan} deliveries/s`,
        );
      } catch (error) {
        missing[peer.key] = `failed: ${(error as Error).message}`;
        log(`${peer.label}: ${missing[peer.key]}`);
      } finally {
        await broker.stop();
      }
    }
  }
  // A peer that failed in any round has no row: a partial median would not be one run's.
  for (const key of Object.keys(missing) as PeerKey[]) {
    oneToOne[key] = [];
    fanOut[key] = [];
  }
  return {
    rounds: options.rounds,
    inFlight: options.inFlight,
    windowRule: `the publisher keeps at most ${options.inFlight} messages not yet delivered to the slowest subscriber`,
    oneToOne: { ...summarise(oneToOne), messages: options.oneToOne.messages },
    fanOut: {
      ...summarise(fanOut),
      subscribers: options.fanOut.subscribers,
      messages: options.fanOut.messages,
    },
    missing,
  };
}
