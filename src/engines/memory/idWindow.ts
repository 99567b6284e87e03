/** Remembers the last `capacity` entries by key (insertion order), for publish dedupe. */
export class IdWindow<V> {
  private readonly entries = new Map<string, V>();
  /**
   * Keys in insertion order, as a ring. Finding the oldest through `entries.keys()` would walk
   * over the holes deleted keys leave at the front of a Map: microseconds per publish.
   */
  private readonly order: string[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /** Remembers a key `get` did not find. */
  add(key: string, value: V): void {
    if (this.order.length < this.capacity) {
      this.order.push(key);
    } else {
      this.entries.delete(this.order[this.next]);
      this.order[this.next] = key;
      this.next = (this.next + 1) % this.capacity;
    }
    this.entries.set(key, value);
  }
}
