import type { ErrorCode } from '../errors/codes.js';
import type { Tagged } from '../machines/stateNames.js';

interface ActorError {
  code: ErrorCode;
  message: string;
}

/** A data-path record that keeps a copy of its actor's public state, for its handles to read. */
export interface MirroredRecord<TState extends string> {
  state: TState;
  error?: ActorError;
}

/**
 * The one way the data path follows its actors: copies a snapshot's public state and error into
 * the record. Returns the change of public state, if there was one.
 */
export function mirrorState<TState extends string>(
  record: MirroredRecord<TState>,
  snapshot: Tagged & { context: { error?: ActorError } },
  stateName: (snapshot: Tagged) => TState,
): { from: TState; to: TState } | undefined {
  const to = stateName(snapshot);
  const from = record.state;
  if (to === from) return undefined;
  record.state = to;
  record.error = snapshot.context.error;
  return { from, to };
}
