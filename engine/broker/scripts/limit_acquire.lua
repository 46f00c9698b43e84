-- limit_acquire: give back the slots of tasks that finished, then decide, atomically and for a
-- batch of dequeued tasks, which may run under the pyasynq limits that apply to them
-- (fleet-wide rate and concurrency limits; Go ignores these keys). Every key lives in the
-- {limits} hash slot, so one call is one atomic decision.
-- KEYS     every key named below by its index (limit state, stats, waiting, tail, key index)
-- ARGV[1]  now, Unix seconds (float)
-- ARGV[2]  hold expiry for concurrency slots, Unix seconds (now + hold lease)
-- ARGV[3]  current minute (Unix seconds of its start) for the per-minute admitted counter
-- ARGV[4]  number of releases R; then R pairs: holder key index, task id (ZREM: the task's run
--          is over; sent with the next decision instead of one call per task)
-- then     number of tasks T; then per task:
--            task id, number of limits L, then per limit 9 values:
--            kind ("r" rate: sliding-window log | "c" concurrency: holders scored by lease
--            expiry), state key index, stats key index, waiting key index (0: a queue-level
--            limit, refused tasks go back to the head of pending), key-index key index (0: not
--            a per-key limit), key value, limit N, period seconds (rate) or poll seconds
--            (concurrency), tail hash key index (the last return time given per key value)
-- returns one string per task: "1" admitted (every limit recorded), or
--          "0 <retry_at> <limit position, 1-based> <p|s>" refused: nothing recorded; p = every
--          refusing limit is queue-level (leave the task pending), s = schedule it at retry_at
local now = tonumber(ARGV[1])
local hold_expiry = ARGV[2]
local minute = tonumber(ARGV[3])
local i = 5
for _ = 1, tonumber(ARGV[4]) do
  redis.call("ZREM", KEYS[tonumber(ARGV[i])], ARGV[i + 1])
  i = i + 2
end

-- per batch, once per key: trim a state, and add up the counters
local trimmed = {}   -- state key -> the log's time (rate) or true (concurrency)
local periods = {}   -- rate state key -> its window
local counts = {}    -- stats key -> {admitted, held, period}
local seen = {}      -- key-index key -> {key value -> true}
local function count(stats, field)
  local c = counts[stats]
  if not c then
    c = {admitted = 0, held = 0}
    counts[stats] = c
  end
  c[field] = c[field] + 1
end

local out = {}
local tasks = tonumber(ARGV[i])
i = i + 1
for t = 1, tasks do
  local id = ARGV[i]
  local nl = tonumber(ARGV[i + 1])
  i = i + 2
  local limits = {}
  for l = 1, nl do
    limits[l] = {
      kind = ARGV[i], state = KEYS[tonumber(ARGV[i + 1])], stats = KEYS[tonumber(ARGV[i + 2])],
      waiting = tonumber(ARGV[i + 3]), index = tonumber(ARGV[i + 4]), kv = ARGV[i + 5],
      n = tonumber(ARGV[i + 6]), period = tonumber(ARGV[i + 7]), tail = tonumber(ARGV[i + 8]),
    }
    i = i + 9
  end
  local retry_at, blocker, mode = 0, 0, "p"
  for l, lim in ipairs(limits) do
    local free = nil
    if lim.kind == "r" then
      if not trimmed[lim.state] then
        -- the log's time never goes back: a worker whose clock read is late (or behind another
        -- host's) records at the latest time seen, so skew can only make the limit stricter
        local last = redis.call("ZRANGE", lim.state, -1, -1, "WITHSCORES")
        local at = now
        if last[2] and tonumber(last[2]) > now then
          at = tonumber(last[2])
        end
        redis.call("ZREMRANGEBYSCORE", lim.state, "-inf", at - lim.period)
        trimmed[lim.state] = at
        periods[lim.state] = lim.period
      end
      lim.at = trimmed[lim.state]
      local c = redis.call("ZCARD", lim.state)
      if c >= lim.n then
        local e = redis.call("ZRANGE", lim.state, c - lim.n, c - lim.n, "WITHSCORES")
        free = tonumber(e[2]) + lim.period
      end
    else
      if not trimmed[lim.state] then
        redis.call("ZREMRANGEBYSCORE", lim.state, "-inf", now)  -- leases that ran out
        trimmed[lim.state] = true
      end
      if redis.call("ZCARD", lim.state) >= lim.n and not redis.call("ZSCORE", lim.state, id) then
        free = now + lim.period
      end
    end
    if free then
      if lim.waiting > 0 then
        -- fair waiting line (one per key value): a task already waiting comes back at the next
        -- free moment; a new one queues behind the last waiter, spaced at the limit's pace
        local w, tail = KEYS[lim.waiting], KEYS[lim.tail]
        redis.call("ZREMRANGEBYSCORE", w, "-inf", now - 300)  -- waiters whose task is gone
        if redis.call("ZSCORE", w, id) == false then
          local last = tonumber(redis.call("HGET", tail, lim.kv) or 0)
          free = math.max(free, last + lim.period / lim.n)
          redis.call("HSET", tail, lim.kv, free)
        end
        redis.call("ZADD", w, free, id)
        mode = "s"
      end
      count(lim.stats, "held")
      if free > retry_at then
        retry_at = free
        blocker = l
      end
    end
  end
  if blocker == 0 then
    for _, lim in ipairs(limits) do
      if lim.kind == "r" then
        redis.call("ZADD", lim.state, lim.at, id .. "@" .. ARGV[1])
      else
        redis.call("ZADD", lim.state, hold_expiry, id)
      end
      if lim.waiting > 0 then
        redis.call("ZREM", KEYS[lim.waiting], id)
      end
      if lim.index > 0 then
        local s = seen[KEYS[lim.index]] or {}
        s[lim.kv] = true
        seen[KEYS[lim.index]] = s
      end
      count(lim.stats, "admitted")
    end
    out[t] = "1"
  else
    out[t] = "0 " .. string.format("%.3f", retry_at) .. " " .. blocker .. " " .. mode
  end
end

for state, period in pairs(periods) do  -- a rate log expires once idle for its window
  redis.call("PEXPIRE", state, math.ceil((period + 1) * 1000))
end
for stats, c in pairs(counts) do
  if c.admitted > 0 then
    redis.call("HINCRBY", stats, "admitted", c.admitted)
    redis.call("HINCRBY", stats, "m:" .. minute, c.admitted)
    redis.call("HDEL", stats, "m:" .. (minute - 120))
  end
  if c.held > 0 then
    redis.call("HINCRBY", stats, "held", c.held)
  end
end
for index, values in pairs(seen) do
  for kv, _ in pairs(values) do
    redis.call("ZADD", index, now, kv)
  end
end
return out
