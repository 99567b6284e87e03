/**
 * Lua for rooms. A room's history is a stream whose entry ids are `<offset>-0`, its meta hash
 * holds the epoch (`e`), the top offset (`o`) and the bytes the stream holds (`b`: each entry
 * counts its body plus OVERHEAD); losing the meta hash is what a new epoch means, so both
 * scripts start a fresh stream when they have to create the epoch.
 */

const HELPERS = `
local OVERHEAD = 96
local function offsetOf(id) return tonumber(string.match(id, '^(%d+)')) end
local function bytesOf(entry) return #entry[2][4] + OVERHEAD end
-- Drops entries stored at or before cutoff (field 'a' is the storage time).
local function trimAge(m, h, cutoff)
  while true do
    local batch = redis.call('XRANGE', h, '-', '+', 'COUNT', 32)
    if #batch == 0 then return end
    local freed = 0
    for _, entry in ipairs(batch) do
      if tonumber(entry[2][2]) > cutoff then
        redis.call('XTRIM', h, 'MINID', entry[1])
        if freed > 0 then redis.call('HINCRBY', m, 'b', -freed) end
        return
      end
      freed = freed + bytesOf(entry)
    end
    redis.call('XTRIM', h, 'MINID', (offsetOf(batch[#batch][1]) + 1) .. '-0')
    redis.call('HINCRBY', m, 'b', -freed)
  end
end
-- Drops the oldest entries while the room holds more than size messages or maxBytes bytes.
local function trimSize(m, h, size, maxBytes, bytes)
  local length = redis.call('XLEN', h)
  local function over() return length > size or (bytes > maxBytes and length > 1) end
  while over() do
    local freed, last = 0, nil
    for _, entry in ipairs(redis.call('XRANGE', h, '-', '+', 'COUNT', 64)) do
      if not over() then break end
      freed = freed + bytesOf(entry)
      bytes = bytes - bytesOf(entry)
      length = length - 1
      last = entry[1]
    end
    redis.call('XTRIM', h, 'MINID', (offsetOf(last) + 1) .. '-0')
    redis.call('HINCRBY', m, 'b', -freed)
  end
end
local function epochOf(m, h, d, fresh, metaTtl)
  local epoch = redis.call('HGET', m, 'e')
  if not epoch then
    epoch = fresh
    redis.call('HSET', m, 'e', epoch, 'b', 0)
    redis.call('DEL', h, d)
  end
  redis.call('PEXPIRE', m, metaTtl)
  return epoch
end
`;

/**
 * KEYS: per message meta, history, dedupe. ARGV: now, size, ttlMs, dedupeWindow, metaTtlMs,
 * fresh epoch, maxBytes, then per message id, body, channel. Returns per message
 * {offset, epoch, at, body}: body is the stored one for a repeated id still in history, else ''.
 */
export const PUBLISH_BATCH = `${HELPERS}
local now, size, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local window, metaTtl, fresh = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local maxBytes = tonumber(ARGV[7])
local out = {}
-- Per room of the batch, in order of first appearance: what is done once for all its messages
-- (trims, expiries, one PUBLISH of its messages as lines: JSON bodies hold no raw newline).
local rooms, order = {}, {}
for i = 0, #KEYS / 3 - 1 do
  local m, h, d = KEYS[i * 3 + 1], KEYS[i * 3 + 2], KEYS[i * 3 + 3]
  local id, body, channel = ARGV[8 + i * 3], ARGV[9 + i * 3], ARGV[10 + i * 3]
  local room = rooms[m]
  if not room then
    room = {h = h, d = d, channel = channel, epoch = epochOf(m, h, d, fresh, metaTtl), added = 0, lines = {}}
    rooms[m] = room
    order[#order + 1] = m
  end
  local epoch = room.epoch
  local seen = window > 0 and redis.call('ZSCORE', d, id)
  if seen then
    local entry = redis.call('XRANGE', h, seen .. '-0', seen .. '-0')[1]
    if entry then
      out[#out + 1] = {tonumber(seen), epoch, tonumber(entry[2][2]), entry[2][4]}
    else
      out[#out + 1] = {tonumber(seen), epoch, now, ''}
    end
  else
    local off = redis.call('HINCRBY', m, 'o', 1)
    if off == 1 then
      redis.call('DEL', h, d)
      redis.call('HSET', m, 'b', 0)
    end
    redis.call('XADD', h, off .. '-0', 'a', now, 'b', body)
    room.added = room.added + #body + OVERHEAD
    if window > 0 then redis.call('ZADD', d, off, id) end
    table.insert(room.lines, 'm' .. off .. ':' .. epoch .. ':' .. now .. ':' .. body)
    out[#out + 1] = {off, epoch, now, ''}
  end
end
for _, m in ipairs(order) do
  local room = rooms[m]
  if #room.lines > 0 then
    trimSize(m, room.h, size, maxBytes, redis.call('HINCRBY', m, 'b', room.added))
    if ttl > 0 then trimAge(m, room.h, now - ttl) end
    redis.call('PEXPIRE', room.h, metaTtl)
    if window > 0 then
      redis.call('ZREMRANGEBYRANK', room.d, 0, -window - 1)
      redis.call('PEXPIRE', room.d, metaTtl)
    end
    redis.call('PUBLISH', room.channel, table.concat(room.lines, '\\n'))
  end
end
return out
`;

/**
 * KEYS: meta, history, dedupe. ARGV: now, ttlMs, metaTtlMs, fresh epoch, since epoch ('' =
 * newest), since offset, limit (-1 = all). Returns {epoch, top, firstKept, kept, entries}:
 * entries oldest first after `since`, or newest first without it.
 */
export const READ = `${HELPERS}
local m, h, d = KEYS[1], KEYS[2], KEYS[3]
local now, ttl, metaTtl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local sinceEpoch, since, limit = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local epoch = epochOf(m, h, d, ARGV[4], metaTtl)
if ttl > 0 then trimAge(m, h, now - ttl) end
local top = tonumber(redis.call('HGET', m, 'o') or '0')
local first = redis.call('XRANGE', h, '-', '+', 'COUNT', 1)[1]
local firstKept = first and offsetOf(first[1]) or top + 1
local kept = redis.call('XLEN', h)
local entries = {}
if limit ~= 0 then
  local count = {}
  if limit > 0 then count = {'COUNT', limit} end
  if sinceEpoch == '' then
    entries = redis.call('XREVRANGE', h, '+', '-', unpack(count))
  elseif sinceEpoch == epoch and since < top then
    entries = redis.call('XRANGE', h, (since + 1) .. '-0', '+', unpack(count))
  end
end
return {epoch, top, firstKept, kept, entries}
`;

/** KEYS: members, uids, node presence index. ARGV: member, uid, channel, index entry. */
export const JOIN = `
redis.call('SADD', KEYS[3], ARGV[4])
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1
  and redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then
  redis.call('PUBLISH', ARGV[3], 'j' .. ARGV[2])
end
return 1
`;

/** Mirrors JOIN: only the last member of a uid leaves (and is announced). */
export const LEAVE = `
redis.call('SREM', KEYS[3], ARGV[4])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1
  and redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('PUBLISH', ARGV[3], 'l' .. ARGV[2])
end
return 1
`;

/** KEYS: lease, nodes. ARGV: node id, leaseMs, now. */
export const BEAT = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

/** KEYS: claims. ARGV: uid, now, ttlMs, max. A claim is a score: its expiry. */
export const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[4]) - 1)
return 1
`;

/** KEYS: claims, the uid room's uid counts. ARGV: uid, now. Claimed, or present in its room. */
export const IS_CLAIMED = `
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expiry and tonumber(expiry) > tonumber(ARGV[2]) then return 1 end
return redis.call('HEXISTS', KEYS[2], ARGV[1])
`;
