-- done_many: what done.lua (spec §4.11) does, for many tasks of one queue in one call.
-- Redis ends exactly as after one done.lua call per id, in order: LREM active, ZREM lease,
-- DEL task hash (a task stops at the first step that finds nothing, keeping the earlier
-- writes, like done.lua's NOT FOUND), then processed daily/total bumped and the unique lock
-- dropped if it is still this task's. The per-task work is only LREM and DEL: the lease
-- check and removal, and the counters, are done once for the batch with the same result.
-- LREM counts from the tail (-1): ids are unique in active and tasks finish roughly in the
-- order they started, which is where the oldest sit.
-- KEYS[1] active list          asynq:{q}:active
-- KEYS[2] lease zset           asynq:{q}:lease
-- KEYS[3] daily processed      asynq:{q}:processed:<YYYY-MM-DD>
-- KEYS[4] total processed      asynq:{q}:processed
-- ARGV[1] stats expiry in Unix seconds (now + 90 days)
-- ARGV[2] max int64
-- ARGV[3] task key prefix      asynq:{q}:t:
-- ARGV[4], ARGV[5], ...        pairs: task id, unique key ("" when the task has none)
-- returns an array with one entry per task: 1 done, 0 NOT FOUND (task no longer active)
local out = {}
local active = {}
for i = 4, #ARGV, 2 do
  out[#out + 1] = 0
  if redis.call("LREM", KEYS[1], -1, ARGV[i]) ~= 0 then
    active[#active + 1] = i
  end
end
if #active == 0 then
  return out
end
local ids = {}
for n, i in ipairs(active) do
  ids[n] = ARGV[i]
end
local scores = redis.call("ZMSCORE", KEYS[2], unpack(ids))
local leased = {}
for n, i in ipairs(active) do
  if scores[n] then
    leased[#leased + 1] = ARGV[i]
  end
end
if #leased > 0 then
  redis.call("ZREM", KEYS[2], unpack(leased))
end
local done = 0
for n, i in ipairs(active) do
  local id, ukey = ARGV[i], ARGV[i + 1]
  if scores[n] and redis.call("DEL", ARGV[3] .. id) ~= 0 then
    done = done + 1
    out[(i - 2) / 2] = 1
    if ukey ~= "" and redis.call("GET", ukey) == id then
      redis.call("DEL", ukey)
    end
  end
end
if done == 0 then
  return out
end
-- done.lua's bumps, once for the batch: the daily key gets its EXPIREAT when one of the
-- increments would have returned 1; the total wraps to 1 at max int64 (near it, one by one:
-- Lua numbers are doubles, exact only to 2^53, hence the wide margin).
local daily = redis.call("INCRBY", KEYS[3], done)
if daily >= 1 and daily - done < 1 then
  redis.call("EXPIREAT", KEYS[3], ARGV[1])
end
local total = tonumber(redis.call("GET", KEYS[4]))
local max = tonumber(ARGV[2])
if total and total > max - 1e6 - done then
  for _ = 1, done do
    if tonumber(redis.call("GET", KEYS[4])) == max then
      redis.call("SET", KEYS[4], 1)
    else
      redis.call("INCR", KEYS[4])
    end
  end
else
  redis.call("INCRBY", KEYS[4], done)
end
return out
