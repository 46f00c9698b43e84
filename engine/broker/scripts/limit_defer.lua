-- limit_defer: give back dequeued tasks that a pyasynq limit refused, in Asynq's own format:
-- the retry count, error and every other field of the task stay untouched.
-- KEYS[1] active list          asynq:{q}:active
-- KEYS[2] lease zset           asynq:{q}:lease
-- KEYS[3] pending list         asynq:{q}:pending
-- KEYS[4] scheduled zset       asynq:{q}:scheduled
-- ARGV[1] task key prefix      asynq:{q}:t:
-- ARGV[2..] pairs: task id, then "p" (back to the dequeue end of pending, as Go's requeue
--         does, so it keeps its place; give the newest first) or a Unix time in seconds
--         (scheduled at that time, state "scheduled"; the forwarder brings it back)
-- returns the number of tasks moved (a task no longer active is skipped)
local moved = 0
for i = 2, #ARGV, 2 do
  local id, where = ARGV[i], ARGV[i + 1]
  if redis.call("LREM", KEYS[1], 0, id) > 0 then
    redis.call("ZREM", KEYS[2], id)
    if where == "p" then
      redis.call("RPUSH", KEYS[3], id)
      redis.call("HSET", ARGV[1] .. id, "state", "pending")
    else
      redis.call("ZADD", KEYS[4], where, id)
      redis.call("HSET", ARGV[1] .. id, "state", "scheduled")
    end
    moved = moved + 1
  end
end
return moved
