import type { ConnectionStateName } from '../machines/connection.js';

export interface ActorSnapshotJson {
  /** Readable state name, e.g. `connected` or `session.active`. */
  state: string;
  value: unknown;
  context: unknown;
}

export interface ClientSnapshot {
  state: ConnectionStateName;
  connection: ActorSnapshotJson;
  auth: ActorSnapshotJson;
  /** By room. */
  subscriptions: Record<string, ActorSnapshotJson>;
  /** By queue name. */
  consumers: Record<string, ActorSnapshotJson>;
}

/** `{session: 'active'}` → `session.active`. */
function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as object)[0];
  return `${key}.${statePath(child)}`;
}

export function actorJson(
  actor: { getSnapshot(): { value: unknown; context: unknown } },
  state?: string,
): ActorSnapshotJson {
  const snapshot = actor.getSnapshot();
  return {
    state: state ?? statePath(snapshot.value),
    value: snapshot.value,
    context: snapshot.context,
  };
}
