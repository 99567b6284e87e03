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
}

let client: Client | undefined;

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
};

(globalThis as unknown as { statewire: PageState }).statewire = page;
