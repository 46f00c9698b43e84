-- retry: move an active task to the retry zset after a failure (spec §4.14).
-- KEYS[1] task hash            asynq:{q}:t:<id>
-- KEYS[2] active list          asynq:{q}:active
-- KEYS[3] lease zset           asynq:{q}:lease
-- KEYS[4] retry zset           asynq:{q}:retry
-- KEYS[5] daily processed      asynq:{q}:processed:<YYYY-MM-DD>
-- KEYS[6] daily failed         asynq:{q}:failed:<YYYY-MM-DD>
-- KEYS[7] total processed      asynq:{q}:processed
-- KEYS[8] total failed         asynq:{q}:failed
-- ARGV[1] task id
-- ARGV[2] encoded TaskMessage (retried, error_msg, last_failed_at updated)
-- ARGV[3] retry-at in Unix seconds
-- ARGV[4] stats expiry in Unix seconds (now + 90 days)
-- ARGV[5] is failure: "1" counts the failure, "0" touches no counter
-- ARGV[6] max int64
-- returns OK; error NOT FOUND when the task is not active
if redis.call("LREM", KEYS[2], 0, ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[3], ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
redis.call("ZADD", KEYS[4], ARGV[3], ARGV[1])
redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "retry")
if tonumber(ARGV[5]) == 1 then
  local n = redis.call("INCR", KEYS[5])
  if tonumber(n) == 1 then
    redis.call("EXPIREAT", KEYS[5], ARGV[4])
  end
  local m = redis.call("INCR", KEYS[6])
  if tonumber(m) == 1 then
    redis.call("EXPIREAT", KEYS[6], ARGV[4])
  end
  local total = redis.call("GET", KEYS[7])
  if tonumber(total) == tonumber(ARGV[6]) then
    redis.call("SET", KEYS[7], 1)
    redis.call("SET", KEYS[8], 1)
  else
    redis.call("INCR", KEYS[7])
    redis.call("INCR", KEYS[8])
  end
end
return redis.status_reply("OK")
