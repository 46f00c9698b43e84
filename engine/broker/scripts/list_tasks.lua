-- list_tasks: one page of a state's tasks with their hash fields (spec §5.4).
-- KEYS[1] container: pending/active list, or scheduled/retry/archived/completed/group zset
-- KEYS[2] (optional) lease zset: give it for the active list to get lease scores
-- ARGV[1] "list" or "zset"
-- ARGV[2] start (0-based rank)   ARGV[3] stop (inclusive)
-- ARGV[4] task key prefix        asynq:{q}:t:
-- Lists are read from the tail (next to dequeue / longest running first), zsets ascending.
-- returns a flat array, 5 items per task: id, msg, result, score (lease score for lists),
-- and what is wrong with the task key ("" when it is a hash, else e.g. "holds a string");
-- a missing value is the integer 0 (every present value is a bulk string).
-- error WRONGTYPE when the container (or the lease zset) is not what its state needs.
local start, stop = tonumber(ARGV[2]), tonumber(ARGV[3])
local want = ARGV[1] == "list" and "list" or "zset"
local held = redis.call("TYPE", KEYS[1]).ok
if held ~= "none" and held ~= want then
  return redis.error_reply("WRONGTYPE the container key holds a " .. held .. ", not a " .. want)
end
if KEYS[2] then
  local lt = redis.call("TYPE", KEYS[2]).ok
  if lt ~= "none" and lt ~= "zset" then
    return redis.error_reply("WRONGTYPE the lease key holds a " .. lt .. ", not a zset")
  end
end
local ids, scores = {}, {}
if ARGV[1] == "list" then
  local raw = redis.call("LRANGE", KEYS[1], -(stop + 1), -(start + 1))
  for i = #raw, 1, -1 do
    ids[#ids + 1] = raw[i]
  end
  for i, id in ipairs(ids) do
    scores[i] = KEYS[2] and redis.call("ZSCORE", KEYS[2], id) or 0
  end
else
  local raw = redis.call("ZRANGE", KEYS[1], start, stop, "WITHSCORES")
  for i = 1, #raw, 2 do
    ids[#ids + 1] = raw[i]
    scores[#scores + 1] = raw[i + 1]
  end
end
local out = {}
for i, id in ipairs(ids) do
  local key = ARGV[4] .. id
  local t = redis.call("TYPE", key).ok
  local v = {}
  local wrong = ""
  if t == "hash" then
    v = redis.call("HMGET", key, "msg", "result")
  elseif t == "none" then
    wrong = "has no task hash"
  else
    wrong = "task key holds a " .. t .. ", not a hash"
  end
  out[#out + 1] = id
  out[#out + 1] = v[1] or 0
  out[#out + 1] = v[2] or 0
  out[#out + 1] = scores[i] or 0
  out[#out + 1] = wrong
end
return out
