-- add_to_group_unique: take the unique lock, then add to a group (spec §4.8).
-- Like Go, no unique_key hash field is written (the key is inside msg).
-- KEYS[1] task hash
-- KEYS[2] group zset
-- KEYS[3] groups set
-- KEYS[4] unique lock key
-- ARGV[1] encoded TaskMessage
-- ARGV[2] task id
-- ARGV[3] now in Unix seconds
-- ARGV[4] group name
-- ARGV[5] lock TTL in whole seconds
-- returns 1 added, -1 lock held, 0 task id taken
local ok = redis.call("SET", KEYS[4], ARGV[2], "NX", "EX", ARGV[5])
if not ok then
  return -1
end
if redis.call("EXISTS", KEYS[1]) == 1 then
  return 0
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "aggregating", "group", ARGV[4])
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[2])
redis.call("SADD", KEYS[3], ARGV[4])
return 1
