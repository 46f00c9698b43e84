-- queue_counts: queues' counts and today's counters without Go's memory estimate, for the
-- readers that cover every queue (the dashboard's totals and paging, /api/queues). It reads what
-- queue_info.lua reads minus MEMORY USAGE sampling and the oldest task's pending_since, so a
-- thousand queues cost a few commands each; queue_info.lua stays the full read of a page's rows.
-- One call reads N queues (N >= 1): outside a cluster the broker sends a few hundred queues per
-- call (one reply to parse instead of one per queue); on a cluster, where a script's keys must
-- share a slot, it sends one queue per call, grouped by node.
-- KEYS, ten per queue, queue i at offset 10*(i-1):
--   +1 pending list   +2 active list   +3 scheduled zset   +4 retry zset
--   +5 archived zset  +6 completed zset
--   +7 processed:<today>  +8 failed:<today>  +9 paused key  +10 groups set
-- ARGV[i] queue i's group key prefix  asynq:{q}:g:
-- returns one array per queue, in order: {pending, active, scheduled, retry, archived, completed,
--          processed today, failed today, paused (0/1), groups, aggregating,
--          problems: an array of "<key kind>: <what is wrong>" (empty for a healthy queue)}
-- A key of the wrong type, or a counter that is not an integer, counts as 0 and is named in
-- the problems (same wording as queue_info.lua) instead of failing the call; healthy queues
-- give exactly queue_info.lua's counts.
local names = {"pending", "active", "scheduled", "retry", "archived", "completed",
  "processed today", "failed today", "paused", "groups"}
local function one(base, group_prefix)
  local problems = {}
  -- the healthy path is one command per key: a wrong type shows up as the command's error,
  -- and only then is TYPE asked, to name what the key holds
  local function read(i, cmd, want)
    local key = KEYS[base + i]
    local reply = redis.pcall(cmd, key)
    if type(reply) == "table" and reply.err then
      problems[#problems + 1] = names[i] .. ": holds a " .. redis.call("TYPE", key).ok .. ", not a " .. want
      return nil
    end
    return reply
  end
  local function counter(i)
    local raw = read(i, "GET", "string")
    if not raw then
      return 0
    end
    local n = tonumber(raw)
    if not string.match(raw, "^%-?%d+$") or not n or n >= 2^53 or n <= -2^53 then
      problems[#problems + 1] = names[i] .. ": " .. string.sub(raw, 1, 40) .. " is not an integer counter"
      return 0
    end
    return n
  end
  local res = {}
  for i = 1, 6 do
    if i <= 2 then
      res[i] = read(i, "LLEN", "list") or 0
    else
      res[i] = read(i, "ZCARD", "zset") or 0
    end
  end
  res[7] = counter(7)
  res[8] = counter(8)
  res[9] = redis.call("EXISTS", KEYS[base + 9])
  local aggregating = 0
  local members = read(10, "SMEMBERS", "set") or {}
  for _, g in ipairs(members) do
    local gkey = group_prefix .. g
    local n = redis.pcall("ZCARD", gkey)
    if type(n) == "table" and n.err then
      problems[#problems + 1] = "group " .. string.sub(g, 1, 40) .. ": holds a " .. redis.call("TYPE", gkey).ok .. ", not a zset"
    else
      aggregating = aggregating + n
    end
  end
  res[10] = #members
  res[11] = aggregating
  res[12] = problems
  return res
end
local out = {}
for q = 1, #ARGV do
  out[q] = one(10 * (q - 1), ARGV[q])
end
return out
