-- delete_task: delete one task that is not running (spec §5.8).
-- KEYS[1] task hash   KEYS[2] groups set
-- ARGV[1] task id   ARGV[2] queue prefix asynq:{q}:   ARGV[3] group key prefix asynq:{q}:g:
-- returns 1 deleted, 0 no such task, -1 active,
--         -3 the task was not in the container its state names (nothing written)
-- The unique lock is released when it still belongs to this task.
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local v = redis.call("HMGET", KEYS[1], "state", "group", "unique_key")
local state, group, ukey = v[1], v[2], v[3]
if state == "active" then
  return -1
end
local removed
if state == "pending" then
  removed = redis.call("LREM", ARGV[2] .. "pending", 0, ARGV[1])
elseif state == "aggregating" then
  local gkey = ARGV[3] .. (group or "")
  removed = redis.call("ZREM", gkey, ARGV[1])
  if removed > 0 and redis.call("ZCARD", gkey) == 0 then
    redis.call("SREM", KEYS[2], group)
  end
else
  removed = redis.call("ZREM", ARGV[2] .. (state or ""), ARGV[1])
end
if removed == 0 then
  return -3
end
if ukey and ukey ~= "" and redis.call("GET", ukey) == ARGV[1] then
  redis.call("DEL", ukey)
end
return redis.call("DEL", KEYS[1])
