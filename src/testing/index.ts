import { SimulatedClock } from 'xstate';
import { createClient } from '../api/createClient.js';
import type { Client, ClientEvents, ClientOptions } from '../client/types.js';
import { FakeServer, type FakeServerOptions } from './fakeServer.js';

export {
  createMemoryPair,
  type MemoryEndpoint,
  memoryTransport,
} from '../actors/memoryTransport.js';
export type { Transport, TransportHandlers, TransportSocket } from '../actors/transport.js';
export {
  FakeConnection,
  FakeServer,
  type FakeServerOptions,
  type Interceptor,
} from './fakeServer.js';
export { SimulatedClock };

export interface TestClientOptions extends Partial<ClientOptions> {
  server?: FakeServer | FakeServerOptions;
}

export interface TestClient {
  client: Client;
  server: FakeServer;
  clock: SimulatedClock;
}

/**
 * A client wired to a scripted in-memory server and driven by a SimulatedClock: nothing
 * happens on timers until the test calls `clock.increment(ms)`. Backoff jitter defaults to its
 * maximum (`random: () => 1`) so reconnect delays are exact.
 */
export function createTestClient(options: TestClientOptions = {}): TestClient {
  const { server: serverOption, ...clientOptions } = options;
  const server = serverOption instanceof FakeServer ? serverOption : new FakeServer(serverOption);
  const clock = (options.clock as SimulatedClock | undefined) ?? new SimulatedClock();
  const client = createClient({
    url: 'memory://statewire',
    transport: server.transport,
    random: () => 1,
    ...clientOptions,
    clock,
  });
  return { client, server, clock };
}

/** Resolves with the next `name` event of the client. */
export function nextEvent<K extends keyof ClientEvents>(
  client: Client,
  name: K,
  predicate: (payload: ClientEvents[K]) => boolean = () => true,
): Promise<ClientEvents[K]> {
  return new Promise((resolve) => {
    const off = client.on(name, (payload) => {
      if (!predicate(payload)) return;
      off();
      resolve(payload);
    });
  });
}
