-- Apply one write to a room, atomically: the Redis side of app/state/writes.py's rules.
-- Run by app/state/redis_store.py. Everything a write touches (op memory, versions, the change
-- order, tombstones, key and room limits) changes in this one script, so concurrent writes from
-- any number of processes serialise here, and a retried op is answered from memory.
-- Every key is one of the room's, passed in KEYS and sharing the room's hash tag: the script
-- runs on Redis Cluster too. The store's room count lives outside the room (the rooms set), so
-- a room is admitted there first (lua/admit.lua) and this script only creates admitted rooms.
--
-- KEYS: 1 the room's epoch, 2 this op's memory, 3 room meta (hash), 4 values (hash),
--       5 key versions (hash), 6 change order (zset key -> room version), 7 tombstones (zset)
-- ARGV: 1 the store's epoch, for a room that has none yet ('' when the caller has not read
--       it), 2 room, 3 kind (set|incr|delete), 4 key, 5 value JSON (set), 6 expect ('' for
--       none), 7 by (incr, as JSON text), 8 '1' if by is an integer, 9 '1' if the write has an
--       op, 10 op TTL seconds, 11 max keys, 12 '1' once the room is admitted to the rooms set,
--       13 max tombstones, 14 largest exact total (2^53-1), 15 the latest start, in Redis's
--       clock (microseconds): half the caller's timeout after it sent the script
-- Returns {status, ack JSON, epoch, room version or 0}; status ok|conflict|replay|err|need.
-- For err: {'err', code, message}. For need: {'need', what} (epoch, room): nothing applied;
-- the caller reads the store's epoch or admits the room, and sends the write again.

-- A script that starts late (Redis was frozen, or swamped) must not apply: its caller may have
-- given up and answered `unavailable` already, and that answer has to stay true.
local now = redis.call('TIME')
if tonumber(now[1]) * 1000000 + tonumber(now[2]) > tonumber(ARGV[15]) then
  return {'err', 'unavailable', 'Redis answered too late; the write was not applied'}
end

local epoch = redis.call('GET', KEYS[1])
if not epoch then
  if ARGV[1] == '' then return {'need', 'epoch'} end
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end

if ARGV[9] == '1' then
  local prior = redis.call('GET', KEYS[2])
  if prior then
    -- A write of its own, so that a WAIT after this script also confirms the first answer's
    -- write on the replicas (the retry may follow a primary that died before passing it on).
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[10]))
    return {'replay', prior, epoch, 0}
  end
end

local function remember(ack)
  if ARGV[9] == '1' then redis.call('SET', KEYS[2], ack, 'EX', tonumber(ARGV[10])) end
  return ack
end

local kind, key = ARGV[3], ARGV[4]
local exists = redis.call('EXISTS', KEYS[3]) == 1
if not exists then
  if kind == 'delete' then return {'ok', remember('{"ok":true,"version":0}'), epoch, 0} end
  if ARGV[12] ~= '1' then return {'need', 'room'} end
end

local meta = redis.call('HMGET', KEYS[3], 'version', 'floor', 'key_floor', 'live', 'dead')
local version = tonumber(meta[1]) or 0
local floor = tonumber(meta[2]) or 0
local key_floor = tonumber(meta[3]) or 0
local live = tonumber(meta[4]) or 0
local dead = tonumber(meta[5]) or 0

local held = tonumber(redis.call('HGET', KEYS[5], key))
local is_dead = redis.call('ZSCORE', KEYS[7], key) ~= false
local is_live = held ~= nil and not is_dead
local kver = held or 0

if kind == 'delete' then
  if not is_live then return {'ok', remember('{"ok":true,"version":' .. kver .. '}'), epoch, 0} end
elseif kind == 'set' and ARGV[6] ~= '' and tonumber(ARGV[6]) ~= kver then
  local current = 'null'
  if is_live then current = redis.call('HGET', KEYS[4], key) end
  local ack = '{"ok":false,"error":{"code":"conflict","message":"expected another version: '
    .. 'the key is at version ' .. kver .. '"},"current":{"value":' .. current
    .. ',"version":' .. kver .. '}}'
  return {'conflict', remember(ack), epoch, 0}
end

if kind ~= 'delete' and not is_live and live >= tonumber(ARGV[11]) then
  return {'err', 'too_large', 'a room holds at most ' .. ARGV[11] .. ' keys'}
end

local text = 'null'
if kind == 'set' then
  text = ARGV[5]
elseif kind == 'incr' then
  local base, base_int = 0, true
  if is_live then
    local stored = redis.call('HGET', KEYS[4], key)
    base = tonumber(stored)
    if base == nil or not string.match(stored, '^%-?[%d.eE+%-]+$') then
      return {'err', 'bad_request', 'incr needs a number, and ' .. key .. ' holds something else'}
    end
    base_int = string.match(stored, '^%-?%d+$') ~= nil
  end
  local total = base + tonumber(ARGV[7])
  if math.abs(total) > tonumber(ARGV[14]) then
    return {'err', 'bad_request', 'the total would leave the range of exact integers (+-2**53)'}
  end
  if base_int and ARGV[8] == '1' then
    text = string.format('%d', total)
  else
    -- 17 significant digits read back as the same double; Python prints it shortest.
    text = string.format('%.17g', total)
    if not string.find(text, '[.eEn]') then text = text .. '.0' end
  end
end

local next_version = (held or key_floor) + 1
version = version + 1
redis.call('HSET', KEYS[4], key, text)
redis.call('HSET', KEYS[5], key, next_version)
redis.call('ZADD', KEYS[6], version, key)
if kind == 'delete' then
  redis.call('ZADD', KEYS[7], version, key)
  dead = dead + 1
  live = live - 1
else
  if is_dead then
    redis.call('ZREM', KEYS[7], key)
    dead = dead - 1
  end
  if not is_live then live = live + 1 end
end

if dead > tonumber(ARGV[13]) then
  -- Forget the oldest tombstone; a `since` from before it now gets full values, and a key
  -- created afresh continues above its version.
  local oldest = redis.call('ZRANGE', KEYS[7], 0, 0, 'WITHSCORES')
  local old_key, old_rversion = oldest[1], tonumber(oldest[2])
  local old_version = tonumber(redis.call('HGET', KEYS[5], old_key)) or 0
  redis.call('HDEL', KEYS[4], old_key)
  redis.call('HDEL', KEYS[5], old_key)
  redis.call('ZREM', KEYS[6], old_key)
  redis.call('ZREM', KEYS[7], old_key)
  dead = dead - 1
  if old_rversion > floor then floor = old_rversion end
  if old_version > key_floor then key_floor = old_version end
end

redis.call('HSET', KEYS[3], 'version', version, 'floor', floor, 'key_floor', key_floor,
           'live', live, 'dead', dead, 'active_at', now[1])

local ack
if kind == 'incr' then
  ack = '{"ok":true,"value":' .. text .. ',"version":' .. next_version .. '}'
else
  ack = '{"ok":true,"version":' .. next_version .. '}'
end
return {'ok', remember(ack), epoch, version}
