-- queue_counts: a queue's counts and today's counters without Go's memory estimate, for the
-- readers that cover every queue (the dashboard's totals and paging, /api/queues). It reads what
-- queue_info.lua reads minus MEMORY USAGE sampling and the oldest task's pending_since, so a
-- thousand queues cost a few commands each; queue_info.lua stays the full read of a page's rows.
-- KEYS[1] pending list   KEYS[2] active list   KEYS[3] scheduled zset   KEYS[4] retry zset
-- KEYS[5] archived zset  KEYS[6] completed zset
-- KEYS[7] processed:<today>  KEYS[8] failed:<today>
-- KEYS[9] paused key     KEYS[10] groups set
-- ARGV[1] group key prefix  asynq:{q}:g:
-- returns {pending, active, scheduled, retry, archived, completed, processed today,
--          failed today, paused (0/1), groups, aggregating,
--          problems: an array of "<key kind>: <what is wrong>" (empty for a healthy queue)}
-- A key of the wrong type, or a counter that is not an integer, counts as 0 and is named in
-- the problems (same wording as queue_info.lua) instead of failing the call; healthy queues
-- give exactly queue_info.lua's counts.
local problems = {}
local names = {"pending", "active", "scheduled", "retry", "archived", "completed",
  "processed today", "failed today", "paused", "groups"}
-- the healthy path is one command per key: a wrong type shows up as the command's error, and
-- only then is TYPE asked, to name what the key holds
local function read(i, cmd, want)
  local reply = redis.pcall(cmd, KEYS[i])
  if type(reply) == "table" and reply.err then
    problems[#problems + 1] = names[i] .. ": holds a " .. redis.call("TYPE", KEYS[i]).ok .. ", not a " .. want
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
res[9] = redis.call("EXISTS", KEYS[9])
local aggregating = 0
local members = read(10, "SMEMBERS", "set") or {}
for _, g in ipairs(members) do
  local gkey = ARGV[1] .. g
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
