-- schedule_unique: take the unique lock, then schedule (spec §4.6).
-- KEYS[1] unique lock key
-- KEYS[2] task hash
-- KEYS[3] scheduled zset
-- ARGV[1] task id
-- ARGV[2] lock TTL in whole seconds (until unique TTL after process_at)
-- ARGV[3] process_at in Unix seconds
-- ARGV[4] encoded TaskMessage
-- returns 1 scheduled, -1 lock held, 0 task id taken
local ok = redis.call("SET", KEYS[1], ARGV[1], "NX", "EX", ARGV[2])
if not ok then
  return -1
end
if redis.call("EXISTS", KEYS[2]) == 1 then
  return 0
end
redis.call("HSET", KEYS[2], "msg", ARGV[4], "state", "scheduled", "unique_key", KEYS[1])
redis.call("ZADD", KEYS[3], ARGV[3], ARGV[1])
return 1
