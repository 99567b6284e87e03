/**
 * Lua for queues on a stream consumer group `g`. KEYS always start with meta, stream, ids,
 * requeued, consumers (see Keys.queue). An item's attempt is its delivery count in the
 * group's pending list: XREADGROUP starts it at 1, XCLAIM adds 1, `XCLAIM … JUSTID` (used to
 * park an item under the `~parked` consumer until it is handed out again) keeps it.
 */

const QUEUE_HELPERS = `
local meta, stream, ids, requeued, consumers = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
-- A temporary queue nobody consumes expires after its idle ttl; a consumer keeps it.
local function idleExpire()
  local idle = tonumber(redis.call('HGET', meta, 'idle') or '0')
  if idle > 0 and redis.call('HLEN', consumers) == 0 then
    for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], idle) end
  end
end
local function fieldsOf(entry)
  local f = {}
  for i = 1, #entry[2], 2 do f[entry[2][i]] = entry[2][i + 1] end
  return f
end
-- An item leaves the queue for good: its bytes (field n) no longer count against maxBytes.
local function drop(id, f)
  redis.call('XACK', stream, 'g', id)
  redis.call('XDEL', stream, id)
  if f and f.n then redis.call('HINCRBY', meta, 'bytes', -tonumber(f.n)) end
end
-- Back to the head of the queue, or to the dead letters after its last attempt.
local function park(id, attempt, maxAttempts, reason, letters)
  if attempt >= maxAttempts then
    local entry = redis.call('XRANGE', stream, id, id)[1]
    local f = entry and fieldsOf(entry)
    drop(id, f)
    if entry then
      redis.call('XADD', KEYS[6], 'MAXLEN', '~', 10000, '*', 'q', ARGV[#ARGV], 'i', f.i,
        'd', f.d, 'n', attempt, 'r', reason)
      letters[#letters + 1] = {f.i, f.d, attempt}
    end
    return
  end
  redis.call('XCLAIM', stream, 'g', '~parked', 0, id, 'JUSTID')
  redis.call('ZADD', requeued, redis.call('HINCRBY', meta, 'head', -1), id)
end
`;

/**
 * KEYS + named queue index. ARGV: owner ('' = named queue), idleTtlMs (0 = none), maxQueues,
 * key prefix of queues, queue. Returns 1 when created, 0 when it existed, 'FULL' when there
 * are maxQueues named queues and none of the oldest 64 is idle (empty, no consumer).
 */
export const DECLARE = `${QUEUE_HELPERS}
if redis.call('EXISTS', meta) == 1 then return 0 end
local index = KEYS[6]
if ARGV[1] == '' then
  local max = tonumber(ARGV[3])
  if redis.call('ZCARD', index) >= max then
    for _, name in ipairs(redis.call('ZRANGE', index, 0, 63)) do
      local base = ARGV[4] .. '{' .. name .. '}'
      local gone = redis.call('EXISTS', base .. ':meta') == 0
      if gone or (redis.call('HLEN', base .. ':cons') == 0 and redis.call('XLEN', base .. ':s') == 0) then
        redis.call('DEL', base .. ':meta', base .. ':s', base .. ':ids', base .. ':rq', base .. ':cons')
        redis.call('ZREM', index, name)
      end
    end
    if redis.call('ZCARD', index) >= max then return 'FULL' end
  end
  redis.call('ZADD', index, redis.call('INCR', index .. ':seq'), ARGV[5])
end
redis.call('HSET', meta, 'owner', ARGV[1], 'idle', ARGV[2], 'head', 0)
redis.pcall('XGROUP', 'CREATE', stream, 'g', '0', 'MKSTREAM')
idleExpire()
return 1
`;

/**
 * ARGV: id, data, replyTo, correlationId, expiry time ('' = never), maxLength, bell, now,
 * maxBytes. An item counts its id, data, replyTo and correlationId plus 96 bytes.
 */
export const ENQUEUE = `${QUEUE_HELPERS}
if redis.call('EXISTS', meta) == 0 then return 'NOT_FOUND' end
if redis.call('ZSCORE', ids, ARGV[1]) then return 'OK' end
local size = #ARGV[1] + #ARGV[2] + #ARGV[3] + #ARGV[4] + 96
if redis.call('XLEN', stream) >= tonumber(ARGV[6])
  or tonumber(redis.call('HGET', meta, 'bytes') or '0') + size > tonumber(ARGV[9]) then
  return 'FULL'
end
redis.call('XADD', stream, '*', 'i', ARGV[1], 'd', ARGV[2], 'r', ARGV[3], 'c', ARGV[4], 'x', ARGV[5],
  'n', size)
redis.call('HINCRBY', meta, 'bytes', size)
redis.call('ZADD', ids, ARGV[8], ARGV[1])
redis.call('ZREMRANGEBYRANK', ids, 0, -10001)
local ttl = redis.call('PTTL', meta)
if ttl > 0 then redis.call('PEXPIRE', ids, ttl) end
redis.call('PUBLISH', ARGV[7], '1')
return 'OK'
`;

/** KEYS + node queue index. ARGV: consumer name, queue. Returns 0 for an unknown queue. */
export const ATTACH = `${QUEUE_HELPERS}
if redis.call('EXISTS', meta) == 0 then return 0 end
local made = redis.pcall('XGROUP', 'CREATECONSUMER', stream, 'g', ARGV[1])
if type(made) == 'table' and made.err then return 0 end
redis.call('HSET', consumers, ARGV[1], 1)
redis.call('SADD', KEYS[6], ARGV[2])
for i = 1, 5 do redis.call('PERSIST', KEYS[i]) end
return 1
`;

/**
 * ARGV: now, most items, then consumer name and slots to fill for each local consumer, in turn
 * order. Hands out items one at a time round robin (requeued ones first, expired ones
 * dropped) until the slots or the items run out. Returns 'GONE' (the queue was removed) or
 * a list of {consumer index, entryId, attempt, id, data, replyTo, correlationId}.
 */
export const FETCH = `${QUEUE_HELPERS}
if redis.call('EXISTS', meta) == 0 then return 'GONE' end
local now, most = tonumber(ARGV[1]), tonumber(ARGV[2])
local names, free = {}, {}
for k = 3, #ARGV, 2 do
  if redis.call('HEXISTS', consumers, ARGV[k]) == 1 then
    names[#names + 1] = ARGV[k]
    free[#names] = tonumber(ARGV[k + 1])
  end
end
local out = {}
local function take(name)
  while true do
    local entry
    local parked = redis.call('ZPOPMIN', requeued)
    if parked[1] then
      entry = redis.call('XCLAIM', stream, 'g', name, 0, parked[1])[1]
    else
      local read = redis.pcall('XREADGROUP', 'GROUP', 'g', name, 'COUNT', 1, 'STREAMS', stream, '>')
      if type(read) == 'table' and read.err then return 'GONE' end
      if not read then return nil end
      entry = read[1][2][1]
    end
    if entry and entry[2] then
      local f = fieldsOf(entry)
      if f.x ~= '' and tonumber(f.x) < now then
        drop(entry[1], f)
      else
        local pending = redis.call('XPENDING', stream, 'g', entry[1], entry[1], 1)[1]
        return {entry[1], pending[4], f.i, f.d, f.r, f.c}
      end
    end
  end
end
local turn, idle = 1, 0
while #out < most and idle < #names do
  if free[turn] > 0 then
    local item = take(names[turn])
    if item == 'GONE' then return 'GONE' end
    if not item then break end
    table.insert(item, 1, turn - 1)
    out[#out + 1] = item
    free[turn] = free[turn] - 1
    idle = 0
  else
    idle = idle + 1
  end
  turn = turn % #names + 1
end
return out
`;

/**
 * KEYS + dead letters. ARGV: mode ('ack' | 'requeue'), entry id, attempt, consumer name,
 * maxAttempts, reason, bell, queue. Returns {status, letters}: status 'OK' or 'NOT_FOUND'
 * (not held by this consumer at this attempt: already settled, timed out or requeued).
 */
export const SETTLE = `${QUEUE_HELPERS}
local mode, id, attempt, name = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if redis.call('EXISTS', meta) == 0 then return {'NOT_FOUND', {}} end
local held = redis.pcall('XPENDING', stream, 'g', id, id, 1)
if held.err or not held[1] or held[1][2] ~= name or tonumber(held[1][4]) ~= attempt then
  return {'NOT_FOUND', {}}
end
local letters = {}
if mode == 'ack' then
  local entry = redis.call('XRANGE', stream, id, id)[1]
  drop(id, entry and fieldsOf(entry))
else
  park(id, attempt, tonumber(ARGV[5]), ARGV[6], letters)
  redis.call('PUBLISH', ARGV[7], '1')
end
return {'OK', letters}
`;

/**
 * KEYS + dead letters + node queue index. ARGV: consumer name, maxAttempts, reason, bell,
 * '1' to drop the queue from the node index, queue. Requeues what the consumer held, then
 * deletes it. Returns the dead letters.
 */
export const DETACH = `${QUEUE_HELPERS}
local name = ARGV[1]
local letters = {}
local held = redis.pcall('XPENDING', stream, 'g', '-', '+', 100000, name)
if type(held) == 'table' and not held.err then
  for _, p in ipairs(held) do park(p[1], tonumber(p[4]), tonumber(ARGV[2]), ARGV[3], letters) end
  redis.pcall('XGROUP', 'DELCONSUMER', stream, 'g', name)
end
redis.call('HDEL', consumers, name)
if ARGV[5] == '1' then redis.call('SREM', KEYS[7], ARGV[#ARGV]) end
if redis.call('EXISTS', meta) == 1 then
  idleExpire()
  if #held > 0 then redis.call('PUBLISH', ARGV[4], '1') end
end
return letters
`;
