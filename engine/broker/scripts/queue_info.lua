-- queue_info: the queue's counts and counters and Go's memory estimate (spec §5.2) in one read-only call, so the
-- console and the exporter can pipeline one EVALSHA per queue instead of two round trips each.
-- Every count is read once and shared by both halves; the memory estimate is Go's HEAD
-- algorithm step by step (same samples, same sums, same order of additions, same truncation).
-- KEYS[1] pending list   KEYS[2] active list   KEYS[3] scheduled zset   KEYS[4] retry zset
-- KEYS[5] archived zset  KEYS[6] completed zset
-- KEYS[7] processed:<today>  KEYS[8] failed:<today>  KEYS[9] processed total  KEYS[10] failed total
-- KEYS[11] paused key    KEYS[12] groups set
-- ARGV[1] task key prefix   asynq:{q}:t:
-- ARGV[2] group key prefix  asynq:{q}:g:
-- ARGV[3] memory sample size (20; must be > 0)
-- ARGV[4] group sample size (5)
-- returns {pending, active, scheduled, retry, archived, completed, processed, failed,
--          processed_total, failed_total, paused (0/1), groups, aggregating,
--          oldest pending_since (ns, as a string; "" when unknown),
--          memory estimate in bytes (integer, truncated like a Lua number reply)}
local sample_size = tonumber(ARGV[3])
if sample_size <= 0 then
  return redis.error_reply("ERR sample size must be a positive number")
end
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
local since = ""
local tail = redis.call("LRANGE", KEYS[1], -1, -1)
if #tail > 0 then
  since = redis.call("HGET", ARGV[1] .. tail[1], "pending_since") or ""
end

-- memory estimate: active and pending lists first, then the four zsets, then groups
local total = 0
local function sampled(ids, count)
  local sum = 0
  for _, id in ipairs(ids) do
    local bytes = redis.call("MEMORY", "USAGE", ARGV[1] .. id)
    if bytes then
      sum = sum + bytes
    end
  end
  if #ids > 0 then
    total = total + (sum / #ids) * count
  end
end
local function own(key)
  local bytes = redis.call("MEMORY", "USAGE", key)
  if bytes then
    total = total + bytes
  end
end
-- {key index, count index} in Go's order: active, pending, scheduled, retry, archived, completed
local order = {{2, 2}, {1, 1}, {3, 3}, {4, 4}, {5, 5}, {6, 6}}
for n, kc in ipairs(order) do
  local key, count = KEYS[kc[1]], res[kc[2]]
  if count > 0 then
    if n <= 2 then
      sampled(redis.call("LRANGE", key, 0, sample_size - 1), count)
    else
      sampled(redis.call("ZRANGE", key, 0, sample_size - 1), count)
    end
    own(key)
  end
end
local aggregating = 0
if #groups > 0 then
  local agg_sum, samples = 0, 0
  for i, g in ipairs(groups) do
    local gkey = ARGV[2] .. g
    aggregating = aggregating + redis.call("ZCARD", gkey)
    if i <= tonumber(ARGV[4]) then
      for _, id in ipairs(redis.call("ZRANGE", gkey, 0, sample_size - 1)) do
        local bytes = redis.call("MEMORY", "USAGE", ARGV[1] .. id)
        if bytes then
          agg_sum = agg_sum + bytes
          samples = samples + 1
        end
      end
    end
  end
  if samples > 0 then
    total = total + (agg_sum / samples) * aggregating
  end
end
res[13] = aggregating
res[14] = since
res[15] = total
return res
