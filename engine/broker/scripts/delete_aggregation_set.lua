-- delete_aggregation_set: drop an aggregated set and its tasks (spec §4.23).
-- KEYS[1] aggregation set      asynq:{q}:g:<group>:<setid>
-- KEYS[2] aggregation sets     asynq:{q}:aggregation_sets
-- ARGV[1] task key prefix      asynq:{q}:t:
-- returns "OK"
-- Unique locks of the aggregated tasks are left to expire, as Go does.
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  redis.call("DEL", ARGV[1] .. id)
end
redis.call("DEL", KEYS[1])
redis.call("ZREM", KEYS[2], KEYS[1])
return redis.status_reply("OK")
