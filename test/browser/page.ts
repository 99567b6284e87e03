/* The page script of the browser test: the statewire client as a browser app uses it. */
import { type Client, createClient, type Message } from '../../src/index.js';

export interface PageState {
  /** Client `state` events as "from>to". */
  states: string[];
  disconnects: Array<{ code?: number; willReconnect: boolean }>;
  messages: Message[];
  recovered: Array<{ recovered: boolean; missed: number }>;
  start(url: string): Promise<{ offset: number }>;
  stop(): Promise<void>;
  /** A second client with a one-minute backoff, listening to `window` (the default). */
  aware: {
    states: string[];
    disconnects: string[];
    recovered: Array<{ recovered: boolean; missed: number }>;
    messages: unknown[];
    start(url: string): Promise<void>;
    /** Dispatches a page transition event on `window`, as the browser does around the bfcache. */
    pageTransition(type: 'pagehide' | 'pageshow', persisted: boolean): void;
    stop(): Promise<void>;
  };
}

let client: Client | undefined;
let aware: Client | undefined;

const page: PageState = {
  states: [],
  disconnects: [],
  messages: [],
  recovered: [],
  async start(url) {
    client = createClient({ url, uid: 'chromium', reconnect: { minDelayMs: 20, maxDelayMs: 200 } });
    client.on('state', ({ from, to }) => page.states.push(`${from}>${to}`));
    client.on('disconnected', ({ code, willReconnect }) =>
      page.disconnects.push({ code, willReconnect }),
    );
    const subscription = client.subscribe('browser', (message) => page.messages.push(message));
    subscription.on('recovered', (info) => page.recovered.push(info));
    await subscription.ready();
    const { offset } = await client.publish('browser', 'hello', { from: navigator.userAgent });
    return { offset };
  },
  async stop() {
    await client?.disconnect();
  },
  aware: {
    states: [],
    disconnects: [],
    recovered: [],
    messages: [],
    async start(url) {
      aware = createClient({
        url,
        uid: 'aware',
        reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 },
      });
      aware.on('state', ({ from, to }) => page.aware.states.push(`${from}>${to}`));
      aware.on('disconnected', ({ reason }) => page.aware.disconnects.push(reason));
      const subscription = aware.subscribe('aware', ({ content }) =>
        page.aware.messages.push(content),
      );
      subscription.on('recovered', (info) => page.aware.recovered.push(info));
      await subscription.ready();
    },
    pageTransition(type, persisted) {
      window.dispatchEvent(new PageTransitionEvent(type, { persisted }));
    },
    async stop() {
      await aware?.disconnect();
    },
  },
};

(globalThis as unknown as { statewire: PageState }).statewire = page;
