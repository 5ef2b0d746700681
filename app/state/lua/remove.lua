-- Remove one room's keys, if idle: the Redis side of Store.remove. Run by
-- app/state/redis_store.py, which takes the room out of the rooms set before (and puts it back
-- when this refuses). The idle check and the removal are one step, so a write that lands while
-- the sweep runs keeps its room. Only the room's own keys: it runs on Redis Cluster too.
--
-- KEYS: 1 meta, 2 values, 3 key versions, 4 change order, 5 tombstones, 6 the room's epoch
-- ARGV: 1 idle since (seconds, Redis's clock), '' to remove whatever its activity
-- Returns 1 when removed, 0 otherwise.

if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' then
  local at = tonumber(redis.call('HGET', KEYS[1], 'active_at'))
  if at == nil or at > tonumber(ARGV[1]) then return 0 end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return 1
