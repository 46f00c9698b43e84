-- reschedule_task: give a waiting task a new process time (pyasynq; Go layout kept valid).
-- KEYS[1] task hash   KEYS[2] scheduled zset asynq:{q}:scheduled
-- ARGV[1] task id   ARGV[2] new process time, Unix seconds   ARGV[3] queue prefix asynq:{q}:
-- returns {1, state} done, {0, ""} no such task, {-1, state} state not allowed,
--         {-3, state} the task was not in the container its state names (nothing written)
-- scheduled/retry: the score in its own zset changes (a retry task stays a retry).
-- pending/archived: the task moves to the scheduled zset with state=scheduled, exactly as
-- Go's Schedule leaves a task (no pending_since); msg is unchanged.
if redis.call("EXISTS", KEYS[1]) == 0 then
  return {0, ""}
end
local state = redis.call("HGET", KEYS[1], "state") or ""
if state == "scheduled" or state == "retry" then
  local zkey = ARGV[3] .. state
  if not redis.call("ZSCORE", zkey, ARGV[1]) then
    return {-3, state}
  end
  redis.call("ZADD", zkey, "XX", ARGV[2], ARGV[1])
  return {1, state}
end
local removed
if state == "pending" then
  removed = redis.call("LREM", ARGV[3] .. "pending", 1, ARGV[1])
elseif state == "archived" then
  removed = redis.call("ZREM", ARGV[3] .. "archived", ARGV[1])
else
  return {-1, state}
end
if removed == 0 then
  return {-3, state}
end
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[1])
redis.call("HSET", KEYS[1], "state", "scheduled")
redis.call("HDEL", KEYS[1], "pending_since")
return {1, state}
