-- requeue: push an active task back to pending on graceful shutdown (spec §4.13).
-- KEYS[1] active list          asynq:{q}:active
-- KEYS[2] lease zset           asynq:{q}:lease
-- KEYS[3] pending list         asynq:{q}:pending
-- KEYS[4] task hash            asynq:{q}:t:<id>
-- ARGV[1] task id
-- returns OK (the id goes to the tail, so it is dequeued next; pending_since is not set);
-- error NOT FOUND when the task is not active
if redis.call("LREM", KEYS[1], 0, ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[2], ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
redis.call("RPUSH", KEYS[3], ARGV[1])
redis.call("HSET", KEYS[4], "state", "pending")
return redis.status_reply("OK")
