-- throughput_record: sample one queue's lifetime processed/failed counters, once per minute
-- (pyasynq only: the series lives under pyasynq:, so Go never sees it).
-- KEYS[1] throughput zset   pyasynq:{q}:throughput (score = minute, member = "minute:processed:failed")
-- KEYS[2] processed counter asynq:{q}:processed (lifetime, success + failure, written by Go or us)
-- KEYS[3] failed counter    asynq:{q}:failed
-- ARGV[1] the minute, Unix seconds (a multiple of 60)
-- ARGV[2] oldest minute to keep; older samples are trimmed
-- ARGV[3] most samples to keep (a cap even if clocks jump around)
-- ARGV[4] TTL of the series in seconds, so a removed queue's series goes away by itself
-- returns 1 when a sample was written, 0 when another recorder already sampled this minute.
-- The counters are copied as the strings Redis holds, never through a Lua number, so large
-- totals keep every digit.
if redis.call("ZCOUNT", KEYS[1], ARGV[1], ARGV[1]) > 0 then
  return 0
end
local processed = redis.call("GET", KEYS[2]) or "0"
local failed = redis.call("GET", KEYS[3]) or "0"
redis.call("ZADD", KEYS[1], ARGV[1], ARGV[1] .. ":" .. processed .. ":" .. failed)
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", "(" .. ARGV[2])
redis.call("ZREMRANGEBYRANK", KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call("EXPIRE", KEYS[1], ARGV[4])
return 1
