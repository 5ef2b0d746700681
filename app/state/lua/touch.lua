-- Mark one room active now, in Redis's clock: the Redis side of Store.touch.
-- Run by app/state/redis_store.py, once per room (a pipeline of calls for many rooms). Only the
-- room's own meta key, so it runs on Redis Cluster too; a room created here was admitted to the
-- rooms set first (lua/admit.lua), as a first write's room is.
--
-- KEYS: 1 the room's meta (hash)
-- ARGV: 1 '1' to create the room when absent (empty, version 0)
-- Returns 1 when marked, 0 for a room absent and not created.

local now = redis.call('TIME')
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] ~= '1' then return 0 end
  redis.call('HSET', KEYS[1], 'version', 0)
end
redis.call('HSET', KEYS[1], 'active_at', now[1])
return 1
