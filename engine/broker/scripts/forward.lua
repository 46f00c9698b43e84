-- forward: move due tasks of a scheduled or retry zset to pending, or back to their group (spec §4.16).
-- KEYS[1] source zset          asynq:{q}:scheduled or asynq:{q}:retry
-- KEYS[2] pending list         asynq:{q}:pending
-- ARGV[1] now in Unix seconds
-- ARGV[2] task key prefix      asynq:{q}:t:
-- ARGV[3] now in Unix nanoseconds (pending_since)
-- ARGV[4] group key prefix     asynq:{q}:g:
-- returns the number of tasks moved (at most 100 per call; call again until 0)
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, 100)
for _, id in ipairs(ids) do
  local key = ARGV[2] .. id
  local group = redis.call("HGET", key, "group")
  if group and group ~= "" then
    redis.call("ZADD", ARGV[4] .. group, ARGV[1], id)
    redis.call("ZREM", KEYS[1], id)
    redis.call("HSET", key, "state", "aggregating")
  else
    redis.call("LPUSH", KEYS[2], id)
    redis.call("ZREM", KEYS[1], id)
    redis.call("HSET", key, "state", "pending", "pending_since", ARGV[3])
  end
end
return table.getn(ids)
