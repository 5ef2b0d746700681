-- Read a room in one consistent step: the Redis side of join_state and changes_after.
-- Run by app/state/redis_store.py.
--
-- KEYS: 1 the room's epoch, 2 room meta (hash), 3 values (hash), 4 key versions (hash),
--       5 change order (zset key -> room version), 6 tombstones (zset); all the room's, with
--       its hash tag (Redis Cluster)
-- ARGV: 1 the store's epoch, for a room that has none yet ('' when the caller has not read
--       it), 2 since (-1: none), 3 the client's epoch ('' if none given), 4 log size, 5 '1' to
--       list changes after `since` whatever the reach
-- Returns {epoch, room version, 'changes' or 'values', then per entry: key, value JSON,
-- version, room version of its last change, 1 if deleted else 0}. 'values' lists live keys only.
-- {'need', 'epoch'} when the room has no epoch and ARGV[1] is '': nothing read.

local epoch = redis.call('GET', KEYS[1])
if not epoch then
  if ARGV[1] == '' then return {'need', 'epoch'} end
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end

local meta = redis.call('HMGET', KEYS[2], 'version', 'floor')
local version = tonumber(meta[1]) or 0
local floor = tonumber(meta[2]) or 0
local since = tonumber(ARGV[2])

local reaches = ARGV[5] == '1' or (since >= 0 and (ARGV[3] == '' or ARGV[3] == epoch)
  and since >= floor and since <= version and since >= version - tonumber(ARGV[4]))

local out = {epoch, version, reaches and 'changes' or 'values'}
local entries
if reaches then
  entries = redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. since, '+inf', 'WITHSCORES')
else
  entries = redis.call('ZRANGE', KEYS[5], 0, -1, 'WITHSCORES')
end
for i = 1, #entries, 2 do
  local key = entries[i]
  local deleted = redis.call('ZSCORE', KEYS[6], key) ~= false
  if reaches or not deleted then
    out[#out + 1] = key
    out[#out + 1] = redis.call('HGET', KEYS[3], key)
    out[#out + 1] = redis.call('HGET', KEYS[4], key)
    out[#out + 1] = entries[i + 1]
    out[#out + 1] = deleted and 1 or 0
  end
end
return out
