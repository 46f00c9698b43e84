-- queue_info: the queue's counts and counters and Go's memory estimate (spec §5.2) in one read-only call, so the
-- console and the exporter can pipeline one EVALSHA per queue instead of two round trips each.
-- Every count is read once and shared by both halves; the memory estimate is Go's HEAD
-- algorithm step by step (same samples, same sums, same order of additions, same truncation).
-- One call reads N queues (N >= 1): KEYS has 13 keys per queue and ARGV 4 values per queue, queue i
-- at KEYS offset 13*(i-1) and ARGV offset 4*(i-1); the reply is one array per queue, in order.
-- Outside a cluster the broker sends many queues per call (one reply to parse instead of one per
-- queue: /metrics reads every queue); on a cluster, where a script's keys share a slot, one.
-- Per queue:
-- KEYS[1] pending list   KEYS[2] active list   KEYS[3] scheduled zset   KEYS[4] retry zset
-- KEYS[5] archived zset  KEYS[6] completed zset
-- KEYS[7] processed:<today>  KEYS[8] failed:<today>  KEYS[9] processed total  KEYS[10] failed total
-- KEYS[11] paused key    KEYS[12] groups set    KEYS[13] lease zset (only its type is checked)
-- ARGV[1] task key prefix   asynq:{q}:t:
-- ARGV[2] group key prefix  asynq:{q}:g:
-- ARGV[3] memory sample size (20; must be > 0)
-- ARGV[4] group sample size (5)
-- returns, per queue, {pending, active, scheduled, retry, archived, completed, processed, failed,
--          processed_total, failed_total, paused (0/1), groups, aggregating,
--          oldest pending_since (ns, as a string; "" when unknown),
--          memory estimate in bytes (integer, truncated like a Lua number reply),
--          problems: an array of "<key kind>: <what is wrong>" (empty for a healthy queue)}
-- A key of the wrong type, or a counter that is not an integer, counts as 0 and is named in
-- the problems instead of failing the whole call (Go fails with WRONGTYPE), so readers show
-- the rest of the queue and say which key is bad. Healthy queues give exactly Go's figures.
local function one(k, a)
  -- this queue's slice of KEYS and ARGV, under the names the single-queue body uses
  local KEYS = {unpack(KEYS, k + 1, k + 13)}
  local ARGV = {unpack(ARGV, a + 1, a + 4)}
  local sample_size = tonumber(ARGV[3])
  if sample_size <= 0 then
    return redis.error_reply("ERR sample size must be a positive number")
  end
  local problems = {}
  local names = {"pending", "active", "scheduled", "retry", "archived", "completed",
    "processed today", "failed today", "processed", "failed", "paused", "groups", "lease"}
  -- the healthy path is one command per key: a wrong type shows up as that command's error,
  -- and only then is TYPE asked, to name what the key holds (no TYPE per key and queue)
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
    -- Redis counters are 64-bit integers; Lua numbers are exact up to 2^53
    local n = tonumber(raw)
    if not string.match(raw, "^%-?%d+$") or not n or n >= 2^53 or n <= -2^53 then
      problems[#problems + 1] = names[i] .. ": " .. string.sub(raw, 1, 40) .. " is not an integer counter"
      return 0
    end
    return n
  end
  read(13, "ZCARD", "zset") -- a lease of the wrong type would stop every worker's acks for this queue
  local res = {}
  for i = 1, 6 do
    if i <= 2 then
      res[i] = read(i, "LLEN", "list") or 0
    else
      res[i] = read(i, "ZCARD", "zset") or 0
    end
  end
  for i = 7, 10 do
    res[i] = counter(i)
  end
  res[11] = redis.call("EXISTS", KEYS[11])
  local groups = read(12, "SMEMBERS", "set") or {}
  res[12] = #groups
  local since = ""
  if res[1] > 0 then
    local tail = redis.call("LRANGE", KEYS[1], -1, -1)
    local got = redis.pcall("HGET", ARGV[1] .. tail[1], "pending_since")
    if type(got) == "string" then -- not a hash (an error) or no field: unknown
      since = got
    end
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
      local size = redis.pcall("ZCARD", gkey)
      if type(size) == "table" and size.err then
        size = 0
        problems[#problems + 1] = "group " .. string.sub(g, 1, 40) .. ": holds a " .. redis.call("TYPE", gkey).ok .. ", not a zset"
      else
        aggregating = aggregating + size
      end
      if size > 0 and i <= tonumber(ARGV[4]) then -- a zset (Redis keeps no empty one)
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
  res[16] = problems
  return res
end
local out = {}
for q = 1, #KEYS / 13 do
  local res = one(13 * (q - 1), 4 * (q - 1))
  if res.err then
    return res
  end
  out[q] = res
end
return out
