import { nanoid } from 'nanoid';
import {
  checkRoomAccess,
  handlerContext,
  historyAnswer,
  publishAck,
  requireAllowed,
} from '../rules.js';
import {
  asMessage,
  badRequest,
  type CallInput,
  type Endpoint,
  endpoint,
  integerParam,
} from './endpoint.js';

function historyMessage(query: CallInput) {
  const { room, epoch, offset, limit } = query;
  if ((epoch === undefined) !== (offset === undefined)) {
    throw badRequest('history: epoch and offset go together');
  }
  const since = epoch === undefined ? undefined : { epoch, offset: integerParam(offset) };
  return asMessage('hist', {
    room,
    since,
    limit: limit === undefined ? undefined : integerParam(limit),
  });
}

/**
 * Rooms and server events over HTTP. A call has no room membership, so publishing is allowed
 * into any room except another uid's room, subject to `authorize(uid, 'publish', room)`.
 */
export const roomEndpoints: Record<string, Endpoint> = {
  publish: endpoint(
    'POST',
    (body, maxDepth) => asMessage('pub', body, maxDepth),
    async ({ core, uid }, msg) => {
      await checkRoomAccess(core, uid, 'publish', msg.room);
      const { room, event, content } = msg;
      const id = msg.mid ?? nanoid();
      return publishAck(await core.engine.publish({ room, event, content, id, from: uid }));
    },
  ),

  request: endpoint(
    'POST',
    (body, maxDepth) => asMessage('req', body, maxDepth),
    async ({ core, uid }, msg) => {
      await requireAllowed(core, uid, 'request', msg.event, 'event');
      const ctx = handlerContext(uid, msg.event, msg.room);
      return { data: await core.handlers.request(msg.content, ctx) };
    },
  ),

  history: endpoint('GET', historyMessage, async ({ core, uid }, msg) => {
    await checkRoomAccess(core, uid, 'history', msg.room);
    return historyAnswer(
      await core.engine.history(msg.room, { since: msg.since, limit: msg.limit }),
    );
  }),

  presence: endpoint(
    'GET',
    (query) => asMessage('presence', query),
    async ({ core, uid }, msg) => {
      await requireAllowed(core, uid, 'presence', msg.room, 'room');
      return { members: await core.engine.members(msg.room) };
    },
  ),
};
