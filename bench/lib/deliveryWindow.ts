/**
 * The one window rule every peer runs under: the publisher keeps at most `inFlight` messages
 * not yet delivered to the slowest subscriber. Deliveries are counted where the app sees them
 * (after decoding), so no peer's own ack or flush scheme decides the pace.
 */

/** What a peer adapter opens: a publisher and subscribers already joined to one room/subject. */
export interface PeerSession {
  /** Sends one 64 B JSON message to the room/subject. */
  publish(): void;
  /** Closes every connection; rejects if a publish failed along the way. */
  close(): Promise<void>;
}

/** Tracks, in order, how many messages every subscriber has received. */
export class SlowestSubscriber {
  readonly #subscribers: number;
  readonly #counts: Uint32Array;
  /** reached[k % ring]: how many subscribers have message k; ring > any subscriber's lead. */
  readonly #reached: Uint32Array;
  #delivered = 0;

  constructor(subscribers: number, maxLead: number) {
    this.#subscribers = subscribers;
    this.#counts = new Uint32Array(subscribers);
    this.#reached = new Uint32Array(maxLead + 1);
  }

  /** Messages every subscriber has received. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Records one delivery to `subscriber`; returns whether the slowest one moved on. */
  record(subscriber: number, sent: number): boolean {
    const index = this.#counts[subscriber]++;
    if (index >= sent) throw new Error(`subscriber ${subscriber} got more messages than were sent`);
    const ring = this.#reached.length;
    this.#reached[index % ring] += 1;
    if (index !== this.#delivered) return false;
    while (this.#reached[this.#delivered % ring] === this.#subscribers) {
      this.#reached[this.#delivered % ring] = 0;
      this.#delivered += 1;
    }
    return true;
  }
}

export interface WindowOptions {
  subscribers: number;
  messages: number;
  inFlight: number;
  /** Fails the run when the slowest subscriber makes no progress for this long. */
  stallMs?: number;
}

/**
 * Publishes `messages` under the window and resolves once the slowest subscriber has them all.
 * `bind` receives the delivery sink the session's subscribers must call.
 */
export function driveWindow(
  session: PeerSession,
  options: WindowOptions,
  bind: (sink: (subscriber: number) => void) => void,
): Promise<void> {
  const slowest = new SlowestSubscriber(options.subscribers, options.inFlight);
  let sent = 0;
  return new Promise<void>((resolve, reject) => {
    let seen = -1;
    const watchdog = setInterval(() => {
      if (slowest.delivered !== seen) {
        seen = slowest.delivered;
        return;
      }
      clearInterval(watchdog);
      reject(new Error(`stalled at ${slowest.delivered}/${options.messages} delivered`));
    }, options.stallMs ?? 10_000);
    const pump = () => {
      while (sent < options.messages && sent - slowest.delivered < options.inFlight) {
        sent += 1;
        session.publish();
      }
    };
    bind((subscriber) => {
      try {
        if (!slowest.record(subscriber, sent)) return;
      } catch (error) {
        clearInterval(watchdog);
        reject(error);
        return;
      }
      if (slowest.delivered < options.messages) pump();
      else {
        clearInterval(watchdog);
        resolve();
      }
    });
    pump();
  });
}

/**
 * Opens a session, warms it up, then times `messages` under the window. Returns messages
 * (1:1) or deliveries (fan-out) per second, counted at the subscribers.
 */
export async function measureWindowed(
  open: (onDelivery: (subscriber: number) => void) => Promise<PeerSession>,
  options: WindowOptions & { warmup: number },
): Promise<number> {
  let sink: (subscriber: number) => void = () => {};
  const session = await open((subscriber) => sink(subscriber));
  const bind = (next: (subscriber: number) => void) => {
    sink = next;
  };
  try {
    await driveWindow(session, { ...options, messages: options.warmup }, bind);
    const started = performance.now();
    await driveWindow(session, options, bind);
    const seconds = (performance.now() - started) / 1000;
    return Math.round((options.messages * options.subscribers) / seconds);
  } finally {
    await session.close();
  }
}
