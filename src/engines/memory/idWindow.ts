/** The table starts this big and doubles while more than half full. */
const MIN_TABLE = 16;

/**
 * Remembers the last `capacity` (room, id) pairs over all rooms (insertion order), for dedupe.
 * The pairs sit in a ring; an open-addressing table (linear probing, typed array) finds their
 * slots by a hash of both strings. Nothing is allocated per pair, and a look-up touches a few
 * numbers: Maps of fresh id strings (per room, a Map of rooms above them) cost ~0.8 µs per
 * publish in the broker, most of its dedupe.
 */
export class IdWindow<V> {
  private readonly rooms: string[] = [];
  private readonly ids: string[] = [];
  private readonly hashes: number[] = [];
  private readonly values: V[] = [];
  /** Ring position of the next pair once the ring is full (the oldest one's). */
  private next = 0;
  /** Ring slot + 1 of each pair at (or after) its hash's position; 0 is free. */
  private table = new Int32Array(MIN_TABLE);
  /**
   * Per window, so which strings collide cannot be worked out ahead: a flood of colliding ids
   * would make every look-up walk them all (the same defence as V8's seeded string hashes).
   */
  private readonly seed = (Math.random() * 0x100000000) | 0;
  /** The pair hashed last: a publish looks its pair up, then adds it (one hash for both). */
  private lastRoom = '';
  private lastId = '';
  private lastHash = this.hashOf('', '');

  constructor(private readonly capacity: number) {}

  get(room: string, id: string): V | undefined {
    const slot = this.find(room, id, this.hash(room, id));
    return slot < 0 ? undefined : this.values[slot];
  }

  /** Remembers a pair `get` did not find. */
  add(room: string, id: string, value: V): void {
    if (this.capacity <= 0) return;
    const hash = this.hash(room, id);
    let slot: number;
    if (this.ids.length < this.capacity) {
      slot = this.ids.length;
      this.rooms.push(room);
      this.ids.push(id);
      this.hashes.push(hash);
      this.values.push(value);
      if (2 * this.ids.length > this.table.length) this.grow();
    } else {
      slot = this.next;
      this.unlink(slot);
      this.rooms[slot] = room;
      this.ids[slot] = id;
      this.hashes[slot] = hash;
      this.values[slot] = value;
      this.next = (this.next + 1) % this.capacity;
    }
    this.link(slot);
  }

  private hash(room: string, id: string): number {
    if (id !== this.lastId || room !== this.lastRoom) {
      this.lastRoom = room;
      this.lastId = id;
      this.lastHash = this.hashOf(room, id);
    }
    return this.lastHash;
  }

  /** FNV-1a over the id, a separator and the room, from the seed: `ab`+`c` is not `a`+`bc`. */
  private hashOf(room: string, id: string): number {
    let hash = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ 0xffff, 0x01000193);
    for (let i = 0; i < room.length; i++) hash = Math.imul(hash ^ room.charCodeAt(i), 0x01000193);
    return hash ^ (hash >>> 16);
  }

  /** The ring slot of (room, id), or -1. */
  private find(room: string, id: string, hash: number): number {
    const mask = this.table.length - 1;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const entry = this.table[at];
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.ids[slot] === id && this.rooms[slot] === room) {
        return slot;
      }
    }
  }

  private link(slot: number): void {
    const mask = this.table.length - 1;
    let at = this.hashes[slot] & mask;
    while (this.table[at] !== 0) at = (at + 1) & mask;
    this.table[at] = slot + 1;
  }

  /** Takes the ring slot's entry out, moving later entries of its probe run back into the gap. */
  private unlink(slot: number): void {
    const table = this.table;
    const mask = table.length - 1;
    let gap = this.hashes[slot] & mask;
    while (table[gap] !== slot + 1) gap = (gap + 1) & mask;
    for (let at = (gap + 1) & mask; table[at] !== 0; at = (at + 1) & mask) {
      const home = this.hashes[table[at] - 1] & mask;
      // An entry may fill the gap unless its home lies after the gap, up to its position.
      const stays = gap < at ? gap < home && home <= at : gap < home || home <= at;
      if (stays) continue;
      table[gap] = table[at];
      gap = at;
    }
    table[gap] = 0;
  }

  private grow(): void {
    this.table = new Int32Array(this.table.length * 2);
    for (let slot = 0; slot < this.ids.length; slot++) this.link(slot);
  }
}
