-- add_to_group: put a new task in an aggregation group (spec §4.7).
-- KEYS[1] task hash
-- KEYS[2] group zset           asynq:{q}:g:<group>
-- KEYS[3] groups set           asynq:{q}:groups
-- ARGV[1] encoded TaskMessage
-- ARGV[2] task id
-- ARGV[3] now in Unix seconds
-- ARGV[4] group name
-- returns 1 added, 0 task id taken
if redis.call("EXISTS", KEYS[1]) == 1 then
  return 0
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "aggregating", "group", ARGV[4])
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[2])
redis.call("SADD", KEYS[3], ARGV[4])
return 1
