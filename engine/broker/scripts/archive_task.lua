-- archive_task: move one task to the archived zset from the inspector (spec §5.7).
-- KEYS[1] task hash   KEYS[2] archived zset   KEYS[3] groups set
-- ARGV[1] task id   ARGV[2] now Unix s   ARGV[3] cutoff = now - 90 days Unix s
-- ARGV[4] max size 10000   ARGV[5] queue prefix asynq:{q}:   ARGV[6] group key prefix
-- returns 1 archived, 0 no such task, -1 already archived, -2 active,
--         -3 the task was not in the container its state names (nothing written)
-- msg is not modified; trimming removes old ids but leaves their hashes, as Go does.
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local v = redis.call("HMGET", KEYS[1], "state", "group")
local state, group = v[1], v[2]
if state == "active" then
  return -2
elseif state == "archived" then
  return -1
end
local removed
if state == "pending" then
  removed = redis.call("LREM", ARGV[5] .. "pending", 1, ARGV[1])
elseif state == "aggregating" then
  local gkey = ARGV[6] .. (group or "")
  removed = redis.call("ZREM", gkey, ARGV[1])
  if removed > 0 and redis.call("ZCARD", gkey) == 0 then
    redis.call("SREM", KEYS[3], group)
  end
else
  removed = redis.call("ZREM", ARGV[5] .. (state or ""), ARGV[1])
end
if removed == 0 then
  return -3
end
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[1])
redis.call("HSET", KEYS[1], "state", "archived")
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", ARGV[3])
redis.call("ZREMRANGEBYRANK", KEYS[2], 0, -tonumber(ARGV[4]))
return 1
