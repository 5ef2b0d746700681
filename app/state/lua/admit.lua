-- Admit a room to the store's rooms set before its first write, within the room limit.
-- Run by app/state/redis_store.py when lua/write.lua answers {'need', 'room'}. The set is a key
-- of its own (its own hash slot on Redis Cluster), so this is one script on one key.
--
-- KEYS: 1 rooms (set)
-- ARGV: 1 room, 2 max rooms
-- Returns 1 when the room is in the set (already, or now), 0 when the store is full.

if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
