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
-- #include page_lib

local start, stop = tonumber(ARGV[2]), tonumber(ARGV[3])
local ids, scores = read_page(ARGV[1], KEYS[1], KEYS[2], start, stop)
if not ids then
  return scores -- the WRONGTYPE error reply
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
