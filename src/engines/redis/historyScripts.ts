/**
 * Lua for room history. A room's history is a stream whose entry ids are `<offset>-0` (so its
 * entries are contiguous offsets), its meta hash holds the epoch (`e`), the top offset (`o`)
 * and the bytes the stream holds (`b`: each entry counts its body plus OVERHEAD); losing the
 * meta hash is what a new epoch means, so both scripts start a fresh stream then.
 *
 * With a total budget (`maxTotal` > 0) the history hash `HIST` counts the bytes of all rooms
 * (`t`) and hands out a sequence number per stored message (`s`, kept in the entry), `HELD`
 * holds each room's bytes and `ROOMS` each room scored by the sequence of its oldest entry:
 * past the budget, the oldest entries of any room go first.
 */
const HELPERS = `
local OVERHEAD = 96
local HIST, ROOMS, HELD = KEYS[1], KEYS[2], KEYS[3]
local maxTotal, roomBase = tonumber(ARGV[1]), ARGV[2]
local size, maxBytes, metaTtl = math.huge, math.huge, 0
local function offsetOf(id) return tonumber(string.match(id, '^(%d+)')) end
local function bytesOf(entry) return #entry[2][4] + OVERHEAD end
local function seqOf(entry) return tonumber(entry[2][6] or '0') end
-- The lines of a text (JSON holds no raw newline).
local function linesOf(text)
  local out, from = {}, 1
  while true do
    local nl = string.find(text, '\\n', from, true)
    if not nl then
      out[#out + 1] = string.sub(text, from)
      return out
    end
    out[#out + 1] = string.sub(text, from, nl - 1)
    from = nl + 1
  end
end
-- Counts a room's change of bytes in the total, and files it by its oldest entry.
local function account(room, delta, oldest, nx)
  if maxTotal <= 0 then return end
  if delta ~= 0 then
    redis.call('HINCRBY', HELD, room, delta)
    redis.call('HINCRBY', HIST, 't', delta)
  end
  if oldest then
    if nx then redis.call('ZADD', ROOMS, 'NX', seqOf(oldest), room)
    else redis.call('ZADD', ROOMS, seqOf(oldest), room) end
  end
end
-- The room holds nothing any more (or lost its meta): whatever it was counted for goes.
local function forget(room)
  if maxTotal <= 0 then return end
  local held = tonumber(redis.call('HGET', HELD, room) or '0')
  -- (Never a negative zero: Redis takes '-0' for no integer.)
  if held ~= 0 then redis.call('HINCRBY', HIST, 't', -held) end
  redis.call('HDEL', HELD, room)
  redis.call('ZREM', ROOMS, room)
end
-- Drops the oldest entries while the room holds more than size messages or maxBytes bytes
-- (one message is always kept), or they were stored at or before cutoff (nil: no age bound).
-- Returns the bytes freed, the length left and the oldest entry kept (nil if none was read).
local function trimRoom(h, length, bytes, cutoff)
  local freed = 0
  if length <= size and bytes <= maxBytes and not cutoff then return 0, length, nil end
  local function goes(entry)
    return length > size or (bytes > maxBytes and length > 1)
      or (cutoff ~= nil and tonumber(entry[2][2]) <= cutoff)
  end
  -- The first read takes what the size bound drops and the entry after; later ones take more.
  local extra = 0
  while length > 0 do
    local count = math.max(length - size, 0) + 1 + extra
    extra = 31
    local chunk = redis.call('XRANGE', h, '-', '+', 'COUNT', count)
    if #chunk == 0 then return freed, 0, nil end
    local last, kept = nil, nil
    for _, entry in ipairs(chunk) do
      if not goes(entry) then kept = entry break end
      freed = freed + bytesOf(entry)
      bytes = bytes - bytesOf(entry)
      length = length - 1
      last = entry[1]
    end
    if last then redis.call('XTRIM', h, 'MINID', (offsetOf(last) + 1) .. '-0') end
    if kept then return freed, length, kept end
  end
  return freed, 0, nil
end
-- A room's meta, created with a fresh epoch (and an empty history) when it is gone.
local function metaOf(m, h, d, room, fresh)
  local meta = redis.call('HMGET', m, 'e', 'o', 'b')
  if meta[1] then
    redis.call('PEXPIRE', m, metaTtl)
    return meta[1], tonumber(meta[2] or '0'), tonumber(meta[3] or '0')
  end
  redis.call('HSET', m, 'e', fresh, 'b', 0)
  redis.call('PEXPIRE', m, metaTtl)
  redis.call('DEL', h, d)
  forget(room)
  return fresh, 0, 0
end
`;

/**
 * KEYS: HIST, ROOMS, HELD, then per room meta, history, dedupe. ARGV: maxTotal, room key
 * base, now, size, ttlMs, dedupeWindow, metaTtlMs, fresh epoch, maxBytes, the batch's message
 * count, then per room its name, channel, the messages' places in the batch ('' when the
 * batch is this room alone), their ids as JSON lines and their bodies as lines (a few long
 * arguments cost Redis and the client far less than two per message). Returns per room
 * {epoch, first new offset, repeats}: repeats lists, flat, for each repeated id its index in
 * the room's messages, offset, at and stored body ('' once history dropped it).
 * Each room's new messages go out in one PUBLISH: `m<first offset>:<count>:<epoch>:<at>` and
 * one body per line.
 */
export const PUBLISH_BATCH = `${HELPERS}
local now, ttl, window = tonumber(ARGV[3]), tonumber(ARGV[5]), tonumber(ARGV[6])
size, metaTtl, maxBytes = tonumber(ARGV[4]), tonumber(ARGV[7]), tonumber(ARGV[9])
local fresh, count = ARGV[8], tonumber(ARGV[10])
-- Sequence numbers follow the order of the batch, whatever room a message is in.
local seqBase = 0
if maxTotal > 0 then seqBase = redis.call('HINCRBY', HIST, 's', count) - count end
local out = {}
local arg = 11
for r = 0, (#KEYS - 3) / 3 - 1 do
  local m, h, d = KEYS[4 + r * 3], KEYS[5 + r * 3], KEYS[6 + r * 3]
  local room, channel, bodyText = ARGV[arg], ARGV[arg + 1], ARGV[arg + 4]
  local places = {}
  for place in string.gmatch(ARGV[arg + 2], '%d+') do places[#places + 1] = tonumber(place) end
  local ids, bodies = linesOf(ARGV[arg + 3]), linesOf(bodyText)
  local n = #ids
  arg = arg + 5
  local epoch, top, bytes = metaOf(m, h, d, room, fresh)
  local seen, addedIds = {}, {}
  if window > 0 then seen = redis.call('ZMSCORE', d, unpack(ids)) end
  local length = redis.call('XLEN', h)
  local first, lines, zadd, repeats, added, firstAdded = top + 1, {}, {}, {}, 0, nil
  for k = 1, n do
    local id, body = ids[k], bodies[k]
    local prior = seen[k] or addedIds[id]
    if prior then
      local entry = redis.call('XRANGE', h, prior .. '-0', prior .. '-0')[1]
      repeats[#repeats + 1] = k - 1
      repeats[#repeats + 1] = tonumber(prior)
      repeats[#repeats + 1] = entry and tonumber(entry[2][2]) or now
      repeats[#repeats + 1] = entry and entry[2][4] or ''
    else
      top = top + 1
      if maxTotal > 0 then
        local seq = seqBase + 1 + (places[k] or (k - 1))
        redis.call('XADD', h, top .. '-0', 'a', now, 'b', body, 's', seq)
        firstAdded = firstAdded or {'', {'a', now, 'b', body, 's', seq}}
      else
        redis.call('XADD', h, top .. '-0', 'a', now, 'b', body)
      end
      lines[#lines + 1] = body
      added = added + #body + OVERHEAD
      if window > 0 then
        zadd[#zadd + 1] = top
        zadd[#zadd + 1] = id
        addedIds[id] = top
      end
    end
  end
  if #lines > 0 then
    local cutoff = nil
    if ttl > 0 then cutoff = now - ttl end
    local freed, left, kept = trimRoom(h, length + #lines, bytes + added, cutoff)
    redis.call('HSET', m, 'o', top, 'b', bytes + added - freed)
    if left == 0 then
      forget(room)
    elseif kept then
      account(room, added - freed, kept, false)
    else
      account(room, added - freed, firstAdded, true)
    end
    redis.call('PEXPIRE', h, metaTtl)
    if window > 0 then
      redis.call('ZADD', d, unpack(zadd))
      redis.call('ZREMRANGEBYSCORE', d, '-inf', top - window)
      redis.call('PEXPIRE', d, metaTtl)
    end
    -- Without repeats the bodies go out as they came.
    if #lines < n then bodyText = table.concat(lines, '\\n') end
    local header = 'm' .. first .. ':' .. #lines .. ':' .. epoch .. ':' .. now
    redis.call('PUBLISH', channel, header .. '\\n' .. bodyText)
  end
  out[#out + 1] = {epoch, first, repeats}
end
-- Past the total budget: the oldest entries of any room go, the room with the oldest first.
if maxTotal > 0 then
  local total = tonumber(redis.call('HGET', HIST, 't') or '0')
  while total > maxTotal do
    local two = redis.call('ZRANGE', ROOMS, 0, 1, 'WITHSCORES')
    if #two == 0 then
      redis.call('HSET', HIST, 't', 0)
      break
    end
    local room, after = two[1], two[4] and tonumber(two[4]) or math.huge
    local m, h = roomBase .. room .. '}:m', roomBase .. room .. '}:h'
    local chunk = {}
    if redis.call('HEXISTS', m, 'e') == 1 then chunk = redis.call('XRANGE', h, '-', '+', 'COUNT', 32) end
    local freed, last, kept = 0, nil, nil
    for _, entry in ipairs(chunk) do
      if total - freed <= maxTotal or seqOf(entry) > after then kept = entry break end
      freed = freed + bytesOf(entry)
      last = entry[1]
    end
    if last then
      redis.call('XTRIM', h, 'MINID', (offsetOf(last) + 1) .. '-0')
      redis.call('HINCRBY', m, 'b', -freed)
    end
    total = total - freed
    if kept then
      account(room, -freed, kept, false)
    elseif #chunk < 32 then
      account(room, -freed, nil, false)
      forget(room)
      total = tonumber(redis.call('HGET', HIST, 't') or '0')
    else
      account(room, -freed, nil, false)
    end
  end
end
return out
`;

/**
 * KEYS: HIST, ROOMS, HELD, meta, history, dedupe. ARGV: maxTotal, room key base, now, ttlMs,
 * metaTtlMs, fresh epoch, since epoch ('' = newest), since offset, limit (-1 = all), room.
 * Returns {epoch, top, firstKept, kept, entries}: entries oldest first after `since`, or
 * newest first without it.
 */
export const READ = `${HELPERS}
local m, h, d = KEYS[4], KEYS[5], KEYS[6]
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
metaTtl = tonumber(ARGV[5])
local sinceEpoch, since, limit, room = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
local epoch, top, bytes = metaOf(m, h, d, room, ARGV[6])
if ttl > 0 then
  local freed, left, kept = trimRoom(h, redis.call('XLEN', h), bytes, now - ttl)
  if freed > 0 then
    redis.call('HINCRBY', m, 'b', -freed)
    if left == 0 then forget(room) else account(room, -freed, kept, false) end
  end
end
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
