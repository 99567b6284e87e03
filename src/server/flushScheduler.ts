export interface Flushable {
  flush(): void;
}

/**
 * Coalesces outgoing frames: connections that queued something this turn of the event loop
 * are flushed together once I/O callbacks are done, so a burst becomes one batch frame.
 */
export class FlushScheduler {
  private pending: Flushable[] = [];
  private scheduled = false;

  constructor(private readonly onError: (error: unknown, where: string) => void) {}

  schedule(item: Flushable): void {
    this.pending.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const items = this.pending;
    this.pending = [];
    // One failing socket must not leave the others in the batch waiting forever.
    for (const item of items) {
      try {
        item.flush();
      } catch (error) {
        this.onError(error, 'flush');
      }
    }
  };
}
