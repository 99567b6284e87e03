/**
 * Remembers the last `capacity` ids over all rooms (insertion order), for publish dedupe. Ids
 * are kept per room, so a look-up needs no `room + id` key built for every publish.
 */
export class IdWindow<V> {
  private readonly rooms = new Map<string, Map<string, V>>();
  /**
   * The ids (and their rooms) in insertion order, as a ring. Finding the oldest through a Map's
   * keys would walk over the holes deleted keys leave at its front: microseconds per publish.
   */
  private readonly ids: string[] = [];
  private readonly idRooms: string[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  get(room: string, id: string): V | undefined {
    return this.rooms.get(room)?.get(id);
  }

  /** Remembers an id `get` did not find. */
  add(room: string, id: string, value: V): void {
    if (this.capacity <= 0) return;
    if (this.ids.length < this.capacity) {
      this.ids.push(id);
      this.idRooms.push(room);
    } else {
      this.forget(this.idRooms[this.next], this.ids[this.next]);
      this.ids[this.next] = id;
      this.idRooms[this.next] = room;
      this.next = (this.next + 1) % this.capacity;
    }
    let ids = this.rooms.get(room);
    if (!ids) {
      ids = new Map();
      this.rooms.set(room, ids);
    }
    ids.set(id, value);
  }

  private forget(room: string, id: string): void {
    const ids = this.rooms.get(room);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.rooms.delete(room);
  }
}
