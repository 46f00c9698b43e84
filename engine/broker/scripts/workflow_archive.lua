-- workflow_archive: archive (spec §4.15, Go's steps unchanged) for every final failure of a
-- pyasynq worker or recoverer, plus, in the same call, the failure continuation of a member
-- and the completion notice.
-- KEYS[1] task hash            asynq:{q}:t:<id>
-- KEYS[2] active list          asynq:{q}:active
-- KEYS[3] lease zset           asynq:{q}:lease
-- KEYS[4] archived zset        asynq:{q}:archived
-- KEYS[5] daily processed      asynq:{q}:processed:<YYYY-MM-DD>
-- KEYS[6] daily failed         asynq:{q}:failed:<YYYY-MM-DD>
-- KEYS[7] total processed      asynq:{q}:processed
-- KEYS[8] total failed         asynq:{q}:failed
-- KEYS[9] workflow hash        pyasynq:{home}:wf:<workflow id>
--                              (plain task: pyasynq:{q}:wf:-, never existing: no continuation)
-- ARGV[1] task id
-- ARGV[2] encoded TaskMessage (error_msg, last_failed_at updated)
-- ARGV[3] now in Unix seconds
-- ARGV[4] age cutoff in Unix seconds (now - 90 days)
-- ARGV[5] archive max size (10000)
-- ARGV[6] stats expiry in Unix seconds (now + 90 days)
-- ARGV[7] max int64
-- ARGV[8] task key prefix      asynq:{q}:t:
-- ARGV[9] error text
-- ARGV[10] now in Unix nanoseconds (pending_since of continuations)
-- ARGV[11] completion channel  pyasynq:done:<id>
-- ARGV[12] now in Unix seconds, with its fraction (workflow times)
-- returns OK; error NOT FOUND when the task is not active (nothing written)
-- #include workflow_lib
if redis.call("LREM", KEYS[2], 0, ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[3], ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
redis.call("ZADD", KEYS[4], ARGV[3], ARGV[1])
local old = redis.call("ZRANGE", KEYS[4], "-inf", ARGV[4], "BYSCORE")
if #old > 0 then
  for _, id in ipairs(old) do
    redis.call("DEL", ARGV[8] .. id)
  end
  redis.call("ZREM", KEYS[4], unpack(old))
end
local extra = redis.call("ZRANGE", KEYS[4], 0, -tonumber(ARGV[5]))
if #extra > 0 then
  for _, id in ipairs(extra) do
    redis.call("DEL", ARGV[8] .. id)
  end
  redis.call("ZREM", KEYS[4], unpack(extra))
end
redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "archived")
local n = redis.call("INCR", KEYS[5])
if tonumber(n) == 1 then
  redis.call("EXPIREAT", KEYS[5], ARGV[6])
end
local m = redis.call("INCR", KEYS[6])
if tonumber(m) == 1 then
  redis.call("EXPIREAT", KEYS[6], ARGV[6])
end
local total = redis.call("GET", KEYS[7])
if tonumber(total) == tonumber(ARGV[7]) then
  redis.call("SET", KEYS[7], 1)
  redis.call("SET", KEYS[8], 1)
else
  redis.call("INCR", KEYS[7])
  redis.call("INCR", KEYS[8])
end
if redis.call("EXISTS", KEYS[9]) == 1 then
  wf_settle(KEYS[9], ARGV[1], "archived", false, ARGV[9], ARGV[12], ARGV[10])
end
redis.call("PUBLISH", ARGV[11], "archived")
return redis.status_reply("OK")
