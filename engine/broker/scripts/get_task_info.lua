-- get_task_info: one task's record and where it sits (spec §5.5).
-- KEYS[1] task hash   asynq:{q}:t:<id>
-- ARGV[1] task id     ARGV[2] now Unix s   ARGV[3] queue prefix asynq:{q}:
-- returns 0 when the hash does not exist, else {msg, state, next_process_at, result, lease}
-- where next_process_at is the zset score (scheduled/retry), now (pending) or 0, result is 0
-- when absent, and lease is the lease score of an active task (0 when none).
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local v = redis.call("HMGET", KEYS[1], "msg", "state", "result")
local state = v[2] or ""
local npa = 0
if state == "scheduled" or state == "retry" then
  npa = redis.call("ZSCORE", ARGV[3] .. state, ARGV[1]) or 0
elseif state == "pending" then
  npa = ARGV[2]
end
local lease = 0
if state == "active" then
  lease = redis.call("ZSCORE", ARGV[3] .. "lease", ARGV[1]) or 0
end
return {v[1] or 0, state, npa, v[3] or 0, lease}
