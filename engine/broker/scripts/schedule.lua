-- schedule: put a new task in the scheduled zset (spec §4.5).
-- KEYS[1] task hash
-- KEYS[2] scheduled zset       asynq:{q}:scheduled
-- ARGV[1] encoded TaskMessage
-- ARGV[2] process_at in Unix seconds
-- ARGV[3] task id
-- returns 1 scheduled, 0 task id taken
if redis.call("EXISTS", KEYS[1]) == 1 then
  return 0
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "scheduled")
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[3])
return 1
