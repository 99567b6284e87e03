import type { Engine } from '../engines/Engine.js';
import type { Connection } from './connection.js';
import type { BrokerCore } from './core.js';

/** What the broker holds right now on this node; cheap to take (`server.stats()`). */
export interface ServerStats {
  /** Open WebSocket connections (`server.connections`). */
  connections: number;
  /** Of those, signed in. */
  sessions: number;
  /** Rooms with a member on this node (a signed-in uid's own room counts too). */
  rooms: number;
  /** Queue consumers attached through this node's connections. */
  consumers: number;
  /** Bytes of room history the engine keeps (memoryEngine); null when the engine does not tell. */
  historyBytes: number | null;
}

/** An engine that can tell its history bytes, as memoryEngine() can; not part of Engine. */
function historyBytesOf(engine: Engine): number | null {
  const { historyBytes } = engine as Engine & { historyBytes?: () => number };
  return typeof historyBytes === 'function' ? historyBytes.call(engine) : null;
}

export function statsOf(core: BrokerCore, live: ReadonlySet<Connection>): ServerStats {
  let sessions = 0;
  let consumers = 0;
  for (const connection of live) {
    if (connection.isOpen) sessions++;
    consumers += connection.queueCount;
  }
  return {
    connections: live.size,
    sessions,
    rooms: core.hub.size,
    consumers,
    historyBytes: historyBytesOf(core.engine),
  };
}
