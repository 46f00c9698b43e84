-- memory_usage: Asynq's sampled memory estimate of one queue, HEAD behaviour (spec §5.2).
-- KEYS[1] active list   KEYS[2] pending list
-- KEYS[3] scheduled zset  KEYS[4] retry zset  KEYS[5] archived zset  KEYS[6] completed zset
-- KEYS[7] groups set
-- ARGV[1] task key prefix   asynq:{q}:t:
-- ARGV[2] sample size (20)
-- ARGV[3] group sample size (5)
-- ARGV[4] group key prefix  asynq:{q}:g:
-- returns the estimate in bytes (a Lua number, truncated to an integer by Redis);
-- nil MEMORY USAGE replies (task hash gone) are skipped instead of failing as v0.26.0 did.
local sample_size = tonumber(ARGV[2])
if sample_size <= 0 then
  return redis.error_reply("ERR sample size must be a positive number")
end
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
for i = 1, 2 do
  sampled(redis.call("LRANGE", KEYS[i], 0, sample_size - 1), redis.call("LLEN", KEYS[i]))
  own(KEYS[i])
end
for i = 3, 6 do
  sampled(redis.call("ZRANGE", KEYS[i], 0, sample_size - 1), redis.call("ZCARD", KEYS[i]))
  own(KEYS[i])
end
local groups = redis.call("SMEMBERS", KEYS[7])
if #groups > 0 then
  local agg_count, agg_sum, samples = 0, 0, 0
  for i, g in ipairs(groups) do
    local gkey = ARGV[4] .. g
    agg_count = agg_count + redis.call("ZCARD", gkey)
    if i <= tonumber(ARGV[3]) then
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
    total = total + (agg_sum / samples) * agg_count
  end
end
return total
