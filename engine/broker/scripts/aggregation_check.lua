-- aggregation_check: move a ready group's tasks into a new aggregation set (spec §4.21).
-- KEYS[1] group zset           asynq:{q}:g:<group>
-- KEYS[2] new aggregation set  asynq:{q}:g:<group>:<setid>
-- KEYS[3] aggregation sets     asynq:{q}:aggregation_sets
-- KEYS[4] groups set           asynq:{q}:groups
-- ARGV[1] max size (0 = no limit)
-- ARGV[2] max delay in seconds (0 = no limit)
-- ARGV[3] grace period in seconds
-- ARGV[4] set deadline, Unix seconds (now + 2 min)
-- ARGV[5] now, Unix seconds
-- ARGV[6] group name
-- returns 1 when a set was created, 0 otherwise
local size = redis.call("ZCARD", KEYS[1])
if size == 0 then
  return 0
end
local maxSize = tonumber(ARGV[1])
local maxDelay = tonumber(ARGV[2])
local grace = tonumber(ARGV[3])
local now = tonumber(ARGV[5])

-- Copy the oldest members (all when maxSize is 0) into the set, keeping their scores.
local function move()
  local stop = -1
  if maxSize ~= 0 then
    stop = maxSize - 1
  end
  local members = redis.call("ZRANGE", KEYS[1], 0, stop, "WITHSCORES")
  for i = 1, #members, 2 do
    redis.call("ZADD", KEYS[2], members[i + 1], members[i])
  end
  redis.call("ZREMRANGEBYRANK", KEYS[1], 0, stop)
  redis.call("ZADD", KEYS[3], ARGV[4], KEYS[2])
end

if maxSize ~= 0 and size >= maxSize then
  move()
  if size == maxSize then
    redis.call("SREM", KEYS[4], ARGV[6])
  end
  return 1
end

if maxDelay ~= 0 then
  local oldest = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
  if tonumber(oldest[2]) <= now - maxDelay then
    move()
    if maxSize == 0 or size <= maxSize then
      redis.call("SREM", KEYS[4], ARGV[6])
    end
    return 1
  end
end

local newest = redis.call("ZRANGE", KEYS[1], -1, -1, "WITHSCORES")
if tonumber(newest[2]) <= now - grace then
  move()
  if maxSize == 0 or size <= maxSize then
    redis.call("SREM", KEYS[4], ARGV[6])
  end
  return 1
end
return 0
