-- sample_task_types: the task types of at most N tasks in one state, and the state's size.
-- Bounded work on any queue size: one LRANGE/ZRANGE of N IDs and N HGETs; only the type
-- string of each message leaves Redis, never the payloads.
-- KEYS[1] state container: a list (pending, active) or a zset (scheduled, retry, archived,
--         completed, an aggregation group)
-- ARGV[1] "list" or "zset"
-- ARGV[2] N, the most tasks to look at
-- ARGV[3] task key prefix asynq:{q}:t:
-- returns {size, type_1, ..., type_k} with k <= N; "" stands for a task whose hash is gone or
-- whose message cannot be read. Lists are sampled from the tail (the next tasks to run), zsets
-- from the lowest score (the soonest / oldest).
local n = tonumber(ARGV[2])
local size, ids
if ARGV[1] == "list" then
  size = redis.call("LLEN", KEYS[1])
  ids = redis.call("LRANGE", KEYS[1], -n, -1)
else
  size = redis.call("ZCARD", KEYS[1])
  ids = redis.call("ZRANGE", KEYS[1], 0, n - 1)
end

local function varint(s, i)
  local value, mult = 0, 1
  for _ = 1, 10 do
    local b = string.byte(s, i)
    if not b then return nil, i end
    value = value + (b % 128) * mult
    i = i + 1
    if b < 128 then return value, i end
    mult = mult * 128
  end
  return nil, i
end

-- TaskMessage.type is field 1 (length-delimited); skip any field that comes before it.
local function task_type(msg)
  local i, n_bytes = 1, #msg
  while i <= n_bytes do
    local key
    key, i = varint(msg, i)
    if not key then return "" end
    local field, wire = math.floor(key / 8), key % 8
    if wire == 0 then
      local v
      v, i = varint(msg, i)
      if not v then return "" end
    elseif wire == 1 then
      i = i + 8
    elseif wire == 5 then
      i = i + 4
    elseif wire == 2 then
      local len
      len, i = varint(msg, i)
      if not len then return "" end
      if field == 1 then return string.sub(msg, i, i + len - 1) end
      i = i + len
    else
      return ""
    end
  end
  return ""
end

local out = {size}
for _, id in ipairs(ids) do
  local msg = redis.call("HGET", ARGV[3] .. id, "msg")
  if msg then
    out[#out + 1] = task_type(msg)
  else
    out[#out + 1] = ""
  end
end
return out
