-- done: delete a task that succeeded without retention, or was revoked (spec §4.11).
-- KEYS[1] active list          asynq:{q}:active
-- KEYS[2] lease zset           asynq:{q}:lease
-- KEYS[3] task hash            asynq:{q}:t:<id>
-- KEYS[4] daily processed      asynq:{q}:processed:<YYYY-MM-DD>
-- KEYS[5] total processed      asynq:{q}:processed
-- KEYS[6] unique lock key      (optional: only when msg.unique_key is set)
-- ARGV[1] task id
-- ARGV[2] stats expiry in Unix seconds (now + 90 days)
-- ARGV[3] max int64
-- returns OK; error NOT FOUND when the task is not active (writes before it stay applied)
if redis.call("LREM", KEYS[1], 0, ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[2], ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
if redis.call("DEL", KEYS[3]) == 0 then
  return redis.error_reply("NOT FOUND")
end
local n = redis.call("INCR", KEYS[4])
if tonumber(n) == 1 then
  redis.call("EXPIREAT", KEYS[4], ARGV[2])
end
local total = redis.call("GET", KEYS[5])
if tonumber(total) == tonumber(ARGV[3]) then
  redis.call("SET", KEYS[5], 1)
else
  redis.call("INCR", KEYS[5])
end
if #KEYS >= 6 and redis.call("GET", KEYS[6]) == ARGV[1] then
  redis.call("DEL", KEYS[6])
end
return redis.status_reply("OK")
