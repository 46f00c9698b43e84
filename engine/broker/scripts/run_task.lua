-- run_task: move one task to pending so it runs next (spec §5.6).
-- KEYS[1] task hash   KEYS[2] pending list   KEYS[3] groups set
-- ARGV[1] task id     ARGV[2] queue prefix asynq:{q}:   ARGV[3] group key prefix asynq:{q}:g:
-- returns 1 moved, 0 no such task, -1 active, -2 already pending,
--         -3 the task was not in the container its state names (nothing written)
-- pending_since is not set and msg is unchanged, as in Go.
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local v = redis.call("HMGET", KEYS[1], "state", "group")
local state, group = v[1], v[2]
if state == "active" then
  return -1
elseif state == "pending" then
  return -2
end
if state == "aggregating" then
  local gkey = ARGV[3] .. (group or "")
  if redis.call("ZREM", gkey, ARGV[1]) == 0 then
    return -3
  end
  if redis.call("ZCARD", gkey) == 0 then
    redis.call("SREM", KEYS[3], group)
  end
else
  if redis.call("ZREM", ARGV[2] .. (state or ""), ARGV[1]) == 0 then
    return -3
  end
end
redis.call("LPUSH", KEYS[2], ARGV[1])
redis.call("HSET", KEYS[1], "state", "pending")
return 1
