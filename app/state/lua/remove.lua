-- Remove one room, if idle: the Redis side of Store.remove. Run by app/state/redis_store.py.
-- The idle check and the removal are one step, so a write that lands while the sweep runs
-- keeps its room.
--
-- KEYS: 1 rooms (set), 2 meta, 3 values, 4 key versions, 5 change order, 6 tombstones
-- ARGV: 1 room, 2 idle since (seconds, Redis's clock), '' to remove whatever its activity
-- Returns 1 when removed, 0 otherwise.

if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
if ARGV[2] ~= '' then
  local at = tonumber(redis.call('HGET', KEYS[2], 'active_at'))
  if at == nil or at > tonumber(ARGV[2]) then return 0 end
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SREM', KEYS[1], ARGV[1])
return 1
