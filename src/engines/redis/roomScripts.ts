/** Lua for presence, node leases and uid claims (history lives in historyScripts.ts). */

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
