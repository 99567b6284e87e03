/**
 * Lua for room history. A room's history is a hash from offset to `<at>:<delta>:<body>`
 * (the budget sequence less the offset, 0 without a budget), so one HSET stores a batch and one
 * HMGET reads a range. Its meta hash holds the epoch (`e`), the top offset (`o`), the first offset kept
 * (`f`: the history holds exactly f..o) and the bytes held (`b`: each message counts its body
 * plus OVERHEAD); losing the meta hash is what a new epoch means, so both scripts start a fresh
 * history then (as for a meta from before `f`).
 *
 * With a total budget (`maxTotal` > 0) the history hash `HIST` counts the bytes of all rooms
 * (`t`) and hands out a sequence number per stored message (`s`), `HELD` holds each room's
 * bytes and `ROOMS` each room scored by the sequence of its oldest message: past the budget,
 * the oldest messages of any room go first.
 */
const HELPERS = `
local OVERHEAD = 96
local CHUNK = 1000
local HIST, ROOMS, HELD = KEYS[1], KEYS[2], KEYS[3]
local maxTotal, roomBase = tonumber(ARGV[1]), ARGV[2]
local size, maxBytes, metaTtl = math.huge, math.huge, 0
-- (Locals: the script calls these per message, and a global costs a look-up per call.)
local find, sub, concat, format = string.find, string.sub, table.concat, string.format
-- An integer as text: tostring() formats it as a float ('%.14g'), several times slower.
local function int(n) return format('%d', n) end
-- A stored value is '<at>:<delta>:<body>', its budget sequence number its offset + delta (one
-- string per batch: Lua formats numbers slowly). Where its body starts:
local function bodyAt(value)
  return find(value, ':', find(value, ':', 1, true) + 1, true) + 1
end
local function atOf(value)
  return tonumber(sub(value, 1, find(value, ':', 1, true) - 1))
end
local function seqOf(value, offset)
  local a = find(value, ':', 1, true)
  return offset + tonumber(sub(value, a + 1, bodyAt(value) - 2))
end
local function bytesOf(value)
  return #value - bodyAt(value) + 1 + OVERHEAD
end
-- The fields of offsets from..to (at most CHUNK), and their stored values (false if missing).
local function read(h, from, to)
  local fields, n = {}, 0
  for o = from, math.min(to, from + CHUNK - 1) do
    n = n + 1
    fields[n] = int(o)
  end
  if n == 0 then return fields, {} end
  return fields, redis.call('HMGET', h, unpack(fields))
end
local function valuesOf(h, from, to)
  local out = {}
  while from <= to do
    local fields, values = read(h, from, to)
    for i = 1, #fields do out[#out + 1] = values[i] end
    from = from + #fields
  end
  return out
end
-- The lines of a text (JSON holds no raw newline).
local function linesOf(text)
  local out, n, from = {}, 0, 1
  while true do
    local nl = find(text, '\\n', from, true)
    n = n + 1
    if not nl then
      out[n] = sub(text, from)
      return out
    end
    out[n] = sub(text, from, nl - 1)
    from = nl + 1
  end
end
-- Counts a room's change of bytes in the total, and files it by its oldest message's number.
local function account(room, delta, oldest, nx)
  if maxTotal <= 0 then return end
  if delta ~= 0 then
    redis.call('HINCRBY', HELD, room, int(delta))
    redis.call('HINCRBY', HIST, 't', int(delta))
  end
  if oldest then
    if nx then redis.call('ZADD', ROOMS, 'NX', int(oldest), room)
    else redis.call('ZADD', ROOMS, int(oldest), room) end
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
-- Drops the oldest messages (first..top held) while the room holds more than size messages or
-- maxBytes bytes (one message is always kept), or they were stored at or before cutoff (nil:
-- no age bound). Returns the bytes freed, the first offset kept and the sequence number of the
-- oldest message kept (nil if none was read).
local function trimRoom(h, first, top, bytes, cutoff)
  local length = top - first + 1
  if length <= size and bytes <= maxBytes and not cutoff then return 0, first, nil end
  local freed = 0
  local function goes(value)
    if not value then return true end
    return length > size or (bytes > maxBytes and length > 1)
      or (cutoff ~= nil and atOf(value) <= cutoff)
  end
  -- The first read takes what the size bound drops and the message after; later ones take more.
  local extra = 0
  while length > 0 do
    local fields, values = read(h, first, math.min(top, first + math.max(length - size, 0) + extra))
    extra = 31
    local kept, dropped = nil, 0
    for i = 1, #fields do
      local value = values[i]
      if not goes(value) then kept = value break end
      if value then
        local b = bytesOf(value)
        freed = freed + b
        bytes = bytes - b
      end
      length = length - 1
      dropped = i
    end
    if dropped > 0 then redis.call('HDEL', h, unpack(fields, 1, dropped)) end
    first = first + dropped
    if kept then return freed, first, seqOf(kept, first) end
  end
  return freed, first, nil
end
-- A room's meta, created with a fresh epoch (and an empty history) when it is gone.
local function metaOf(m, h, d, room, fresh)
  local meta = redis.call('HMGET', m, 'e', 'o', 'b', 'f')
  if meta[1] and meta[4] then
    redis.call('PEXPIRE', m, int(metaTtl))
    return meta[1], tonumber(meta[2] or '0'), tonumber(meta[3] or '0'), tonumber(meta[4])
  end
  redis.call('HSET', m, 'e', fresh, 'o', 0, 'b', 0, 'f', 1)
  redis.call('PEXPIRE', m, metaTtl)
  redis.call('DEL', h, d)
  forget(room)
  return fresh, 0, 0, 1
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
 * Each room's new messages are stored by one HSET and go out in one PUBLISH:
 * `m<first offset>:<count>:<epoch>:<at>` and one body per line.
 */
export const PUBLISH_BATCH = `${HELPERS}
local now, ttl, window = tonumber(ARGV[3]), tonumber(ARGV[5]), tonumber(ARGV[6])
size, metaTtl, maxBytes = tonumber(ARGV[4]), tonumber(ARGV[7]), tonumber(ARGV[9])
local fresh, count = ARGV[8], tonumber(ARGV[10])
-- Sequence numbers follow the order of the batch, whatever room a message is in.
local seqBase = 0
if maxTotal > 0 then seqBase = redis.call('HINCRBY', HIST, 's', ARGV[10]) - count end
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
  local epoch, top, bytes, held = metaOf(m, h, d, room, fresh)
  -- Per id this batch stored already: where its value is in fields.
  local seen, batchField = {}, {}
  if window > 0 then seen = redis.call('ZMSCORE', d, unpack(ids)) end
  local first, fields, zadd, repeats, added = top + 1, {}, {}, {}, 0
  local stored, repeated = 0, {}
  -- Messages after a repeat, or placed among other rooms' messages, need their own prefix.
  local prefix, prefixDelta = nil, nil
  for k = 1, n do
    local id = ids[k]
    local prior, field = seen[k], batchField[id]
    if prior or field then
      -- (A message of this batch is not stored yet.)
      local value
      if field then prior, value = fields[field - 1], fields[field] else value = redis.call('HGET', h, prior) end
      local r = #repeats
      repeats[r + 1] = k - 1
      repeats[r + 2] = tonumber(prior)
      repeats[r + 3] = value and atOf(value) or now
      repeats[r + 4] = value and sub(value, bodyAt(value)) or ''
      repeated[k] = true
    else
      top = top + 1
      local delta = 0
      if maxTotal > 0 then delta = seqBase + 1 + (places[k] or (k - 1)) - top end
      if delta ~= prefixDelta then
        prefix, prefixDelta = ARGV[3] .. ':' .. int(delta) .. ':', delta
      end
      local body, offset = bodies[k], int(top)
      fields[stored * 2 + 1] = offset
      fields[stored * 2 + 2] = prefix .. body
      added = added + #body + OVERHEAD
      if window > 0 then
        zadd[stored * 2 + 1] = offset
        zadd[stored * 2 + 2] = id
        batchField[id] = stored * 2 + 2
      end
      stored = stored + 1
    end
  end
  if stored > 0 then
    redis.call('HSET', h, unpack(fields))
    local cutoff = nil
    if ttl > 0 then cutoff = now - ttl end
    local freed, firstKept, oldest = trimRoom(h, held, top, bytes + added, cutoff)
    redis.call('HSET', m, 'o', int(top), 'b', int(bytes + added - freed), 'f', int(firstKept))
    if firstKept > top then
      forget(room)
    elseif oldest then
      account(room, added - freed, oldest, false)
    else
      account(room, added - freed, seqOf(fields[2], first), true)
    end
    redis.call('PEXPIRE', h, int(metaTtl))
    if window > 0 then
      redis.call('ZADD', d, unpack(zadd))
      redis.call('ZREMRANGEBYSCORE', d, '-inf', int(top - window))
      redis.call('PEXPIRE', d, int(metaTtl))
    end
    -- Without repeats the bodies go out as they came.
    if stored < n then
      local lines = {}
      for k = 1, n do
        if not repeated[k] then lines[#lines + 1] = bodies[k] end
      end
      bodyText = concat(lines, '\\n')
    end
    local header = 'm' .. int(first) .. ':' .. int(stored) .. ':' .. epoch .. ':' .. ARGV[3]
    redis.call('PUBLISH', channel, header .. '\\n' .. bodyText)
  end
  out[#out + 1] = {epoch, first, repeats}
end
-- Past the total budget: the oldest messages of any room go, the room with the oldest first.
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
    local meta = redis.call('HMGET', m, 'e', 'o', 'f')
    local fields, values, first = {}, {}, 1
    if meta[1] and meta[3] then
      first = tonumber(meta[3])
      fields, values = read(h, first, math.min(tonumber(meta[2]), first + 31))
    end
    local freed, kept, dropped = 0, nil, 0
    for i = 1, #fields do
      local value = values[i]
      if value and (total - freed <= maxTotal or seqOf(value, first + i - 1) > after) then
        kept = seqOf(value, first + i - 1)
        break
      end
      if value then freed = freed + bytesOf(value) end
      dropped = i
    end
    if dropped > 0 then
      redis.call('HDEL', h, unpack(fields, 1, dropped))
      if freed > 0 then redis.call('HINCRBY', m, 'b', -freed) end
      redis.call('HSET', m, 'f', first + dropped)
    end
    total = total - freed
    if kept then
      account(room, -freed, kept, false)
    elseif #fields < 32 then
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
 * Returns {epoch, top, firstKept, from, values}: the stored values of offsets from, from + 1, …
 * (oldest first): after `since`, or the newest `limit` without it.
 */
export const READ = `${HELPERS}
local m, h, d = KEYS[4], KEYS[5], KEYS[6]
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
metaTtl = tonumber(ARGV[5])
local sinceEpoch, since, limit, room = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
local epoch, top, bytes, first = metaOf(m, h, d, room, ARGV[6])
redis.call('PEXPIRE', h, metaTtl)
if ttl > 0 then
  local freed, firstKept, kept = trimRoom(h, first, top, bytes, now - ttl)
  if firstKept > first then
    first = firstKept
    redis.call('HSET', m, 'b', bytes - freed, 'f', first)
    if first > top then forget(room) else account(room, -freed, kept, false) end
  end
end
local from, to = first, top
if limit == 0 then
  to = from - 1
elseif sinceEpoch == '' then
  if limit > 0 then from = math.max(first, top - limit + 1) end
elseif sinceEpoch == epoch and since < top then
  from = math.max(first, since + 1)
  if limit > 0 then to = math.min(top, from + limit - 1) end
else
  to = from - 1
end
return {epoch, top, first, from, valuesOf(h, from, to)}
`;
