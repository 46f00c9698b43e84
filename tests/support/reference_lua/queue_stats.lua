-- queue_stats: the counters of one queue for QueueInfo (spec §5.2).
-- KEYS[1] pending list   KEYS[2] active list   KEYS[3] scheduled zset   KEYS[4] retry zset
-- KEYS[5] archived zset  KEYS[6] completed zset
-- KEYS[7] processed:<today>  KEYS[8] failed:<today>  KEYS[9] processed total  KEYS[10] failed total
-- KEYS[11] paused key    KEYS[12] groups set
-- ARGV[1] task key prefix   asynq:{q}:t:
-- ARGV[2] group key prefix  asynq:{q}:g:
-- returns {pending, active, scheduled, retry, archived, completed, processed, failed,
--          processed_total, failed_total, paused (0/1), groups, aggregating,
--          oldest pending_since (ns, as a string; "" when unknown)}
local res = {}
res[1] = redis.call("LLEN", KEYS[1])
res[2] = redis.call("LLEN", KEYS[2])
for i = 3, 6 do
  res[i] = redis.call("ZCARD", KEYS[i])
end
for i = 7, 10 do
  res[i] = tonumber(redis.call("GET", KEYS[i]) or "0") or 0
end
res[11] = redis.call("EXISTS", KEYS[11])
local groups = redis.call("SMEMBERS", KEYS[12])
res[12] = #groups
local aggregating = 0
for _, g in ipairs(groups) do
  aggregating = aggregating + redis.call("ZCARD", ARGV[2] .. g)
end
res[13] = aggregating
local since = ""
local tail = redis.call("LRANGE", KEYS[1], -1, -1)
if #tail > 0 then
  since = redis.call("HGET", ARGV[1] .. tail[1], "pending_since") or ""
end
res[14] = since
return res
