import type { ConnectionContext, ConnectionStateName } from '../machines/connection.js';
import type { Emitter } from './emitter.js';
import type { ClientEvents } from './types.js';

/** The public lifecycle events of one change of the connection's state, in order. */
export function emitLifecycle(
  emitter: Emitter<ClientEvents>,
  from: ConnectionStateName,
  to: ConnectionStateName,
  context: ConnectionContext,
): void {
  emitter.emit('state', { from, to });
  switch (to) {
    case 'connecting':
      emitter.emit('connecting', { attempt: context.attempt });
      break;
    case 'authenticating':
      emitter.emit('connected', {});
      break;
    case 'connected':
      emitter.emit('signedIn', { uid: context.uid ?? '', session: context.session ?? '' });
      break;
    case 'reconnecting':
      if (from === 'connected' || from === 'authenticating') disconnected(emitter, context, true);
      break;
    case 'closed':
      disconnected(emitter, context, false);
      break;
  }
}

function disconnected(
  emitter: Emitter<ClientEvents>,
  context: ConnectionContext,
  willReconnect: boolean,
): void {
  const close = context.close;
  const reason = close?.reason || context.failure?.message || 'closed';
  const event: ClientEvents['disconnected'] = { reason, willReconnect };
  if (close?.code !== undefined) event.code = close.code;
  emitter.emit('disconnected', event);
}
