import { StatewireError } from '../errors/StatewireError.js';
import type { Json } from '../protocol/frames.js';
import { isThenable } from './thenable.js';

export interface HandlerContext {
  /** The signed-in client that sent the event. */
  uid: string;
  /** The room the client named with the event, as stated (not checked against membership). */
  room?: string;
  event: string;
  /** The client's session id (one per connection). */
  session?: string;
}

/** Its return value (or resolved promise) is the reply to a client `request`. */
export type EventHandler = (content: Json, ctx: HandlerContext) => unknown;

const ANY = '*';

/** `server.on(event | '*', handler)` registry, and the two ways events reach handlers. */
export class EventHandlers {
  private readonly byEvent = new Map<string, Set<EventHandler>>();

  constructor(private readonly onError: (error: unknown, where: string) => void) {}

  on(event: string, handler: EventHandler): () => void {
    let set = this.byEvent.get(event);
    if (!set) {
      set = new Set();
      this.byEvent.set(event, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  /** Fire and forget: every handler of the event, then every '*' handler. */
  notify(content: Json, ctx: HandlerContext): void {
    for (const key of [ctx.event, ANY]) {
      const set = this.byEvent.get(key);
      if (!set) continue;
      for (const handler of set) {
        try {
          const result = handler(content, ctx);
          if (isThenable(result)) result.then(undefined, (e) => this.report(e, ctx));
        } catch (error) {
          this.report(error, ctx);
        }
      }
    }
  }

  /**
   * The reply of the event's first handler (or the first '*' handler). NOT_FOUND without one;
   * a thrown StatewireError keeps its code, anything else becomes INTERNAL.
   */
  async request(content: Json, ctx: HandlerContext): Promise<unknown> {
    const handler = this.first(ctx.event) ?? this.first(ANY);
    if (!handler) throw new StatewireError('NOT_FOUND', `no handler for event "${ctx.event}"`);
    try {
      return await handler(content, ctx);
    } catch (error) {
      if (error instanceof StatewireError) throw error;
      this.report(error, ctx);
      throw new StatewireError('INTERNAL', 'handler failed');
    }
  }

  private first(event: string): EventHandler | undefined {
    return this.byEvent.get(event)?.values().next().value;
  }

  private report(error: unknown, ctx: HandlerContext): void {
    if (error instanceof StatewireError) return;
    this.onError(error, `handler for "${ctx.event}"`);
  }
}
