/**
 * Key and channel names. Each room and each queue gets one hash tag (`{name}`), so every
 * script touches one slot. Suffixes never contain `}`, so no two names collide.
 */
export class Keys {
  constructor(readonly prefix: string) {}

  room(room: string) {
    const base = `${this.prefix}:r:{${room}}`;
    return {
      meta: `${base}:m`,
      history: `${base}:h`,
      dedupe: `${base}:d`,
      members: `${base}:pm`,
      uids: `${base}:pu`,
      channel: `${base}:c`,
    };
  }

  /** What a room's keys start with before their name (the publish script builds some). */
  get roomBase(): string {
    return `${this.prefix}:r:{`;
  }

  /** The history budget of all rooms: totals (bytes, sequence), rooms by oldest entry, bytes per room. */
  get history() {
    const base = `${this.prefix}:hist`;
    return { totals: base, rooms: `${base}:rooms`, held: `${base}:held` };
  }

  /** The room a room channel belongs to, or undefined for any other channel. */
  roomOfChannel(channel: string): string | undefined {
    const start = `${this.prefix}:r:{`;
    if (!channel.startsWith(start) || !channel.endsWith('}:c')) return undefined;
    return channel.slice(start.length, -3);
  }

  /** In script KEYS order: meta, stream, ids, requeued, consumers. */
  queue(queue: string): string[] {
    const base = `${this.prefix}:q:{${queue}}`;
    return [`${base}:meta`, `${base}:s`, `${base}:ids`, `${base}:rq`, `${base}:cons`];
  }

  /** Prefix of a queue's keys before its `{name}` tag (DECLARE builds other queues' keys). */
  get queueBase(): string {
    return `${this.prefix}:q:`;
  }

  /** Named queues, oldest declared first (what `queues.maxQueues` counts). */
  get namedQueues(): string {
    return `${this.prefix}:queues`;
  }

  bell(queue: string): string {
    return `${this.prefix}:q:{${queue}}:bell`;
  }

  queueOfBell(channel: string): string | undefined {
    const start = `${this.prefix}:q:{`;
    if (!channel.startsWith(start) || !channel.endsWith('}:bell')) return undefined;
    return channel.slice(start.length, -6);
  }

  get deadLetters(): string {
    return `${this.prefix}:dead`;
  }

  get knownUids(): string {
    return `${this.prefix}:uids`;
  }

  get nodes(): string {
    return `${this.prefix}:nodes`;
  }

  node(id: string) {
    const base = `${this.prefix}:node:${id}`;
    return {
      lease: base,
      presence: `${base}:pm`,
      queues: `${base}:q`,
      reap: `${base}:reap`,
      probe: `${base}:probe`,
    };
  }
}
