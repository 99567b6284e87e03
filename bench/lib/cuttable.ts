import { type Transport, webSocketTransport } from '../../src/index.js';

/** A WebSocket transport whose current socket the bench can cut, as a network fault would. */
export function cuttableTransport() {
  const inner = webSocketTransport();
  let last: ReturnType<Transport['connect']> | undefined;
  const transport: Transport = {
    connect(url, handlers) {
      last = inner.connect(url, handlers);
      return last;
    },
  };
  return { transport, cut: () => last?.close(4000, 'bench: cut') };
}

export function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}
