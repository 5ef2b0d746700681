-- Mark one room active now, in Redis's clock: the Redis side of Store.touch.
-- Run by app/state/redis_store.py, once per room (a pipeline of calls for many rooms).
--
-- KEYS: 1 rooms (set), 2 the room's meta (hash)
-- ARGV: 1 room, 2 '1' to create the room when absent (empty, version 0), 3 max rooms
-- Returns 1 when marked, 0 for a room absent and not created, -1 when the store is full.

local now = redis.call('TIME')
if redis.call('EXISTS', KEYS[2]) == 0 then
  if ARGV[2] ~= '1' then return 0 end
  if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and
      redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return -1
  end
  redis.call('HSET', KEYS[2], 'version', 0)
  redis.call('SADD', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], 'active_at', now[1])
return 1
