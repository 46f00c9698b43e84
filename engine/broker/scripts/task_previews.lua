-- task_previews: tasks with their payload and result cut to a bounded prefix (pyasynq only).
-- Pages of tasks and one task's page read only a preview, so neither the reply nor the
-- console's memory follows payload size; the full bytes are read on demand (download).
-- Mode "list" / "zset" (one page, as list_tasks):
--   KEYS[1] container (list or zset)   KEYS[2] (optional) lease zset, for the active list
--   ARGV[1] "list" or "zset"   ARGV[2] start   ARGV[3] stop (inclusive)
--   ARGV[4] task key prefix asynq:{q}:t:   ARGV[5] limit: bytes of payload/result kept
--   ARGV[6] budget: stop before the task that would take the bytes read past it (at least
--           one task is always read), so one call never blocks Redis for long
--   returns a flat array, 7 items per task:
--   id, msg (payload cut to limit), payload size, result prefix, result size, score, and what
--   is wrong with the task key ("" when it is a hash, else e.g. "has no task hash");
--   a missing msg/result/score is the integer 0, a size is -1 when the msg is unreadable;
--   then one last item: 1 when the budget stopped the page early (call again from
--   start + tasks returned), else 0.
-- Mode "one" (as get_task_info):
--   KEYS[1] task hash   ARGV[1] "one"   ARGV[2] task id   ARGV[3] now   ARGV[4] queue prefix
--   ARGV[5] limit
--   returns 0 when the hash does not exist, else
--   {msg (cut), state, next_process_at, result prefix, lease, payload size, result size}.
-- The msg is Asynq's TaskMessage protobuf; payload is field 2 (length-delimited). The walk
-- below re-encodes only that field's length, so every other field reaches Python unchanged.

-- #include page_lib

local function read_varint(s, pos)
  local value, scale = 0, 1
  for _ = 1, 10 do
    local b = string.byte(s, pos)
    if not b then return nil end
    pos = pos + 1
    value = value + (b % 128) * scale
    if b < 128 then return value, pos end
    scale = scale * 128
  end
  return nil
end

local function write_varint(n)
  local out = {}
  repeat
    local b = n % 128
    n = (n - b) / 128
    if n > 0 then b = b + 128 end
    out[#out + 1] = string.char(b)
  until n == 0
  return table.concat(out)
end

-- (msg with field 2 cut to limit bytes, the field's full size); size -1 when unreadable.
local function cut_payload(msg, limit)
  local pos, n, parts, copied, size = 1, #msg, {}, 1, 0
  while pos <= n do
    local key, p = read_varint(msg, pos)
    if not key then return string.sub(msg, 1, limit), -1 end
    local wire, field = key % 8, (key - key % 8) / 8
    if wire == 0 then
      local _, q = read_varint(msg, p)
      if not q then return string.sub(msg, 1, limit), -1 end
      pos = q
    elseif wire == 1 then
      pos = p + 8
    elseif wire == 5 then
      pos = p + 4
    elseif wire == 2 then
      local len, q = read_varint(msg, p)
      if not len or q + len - 1 > n then return string.sub(msg, 1, limit), -1 end
      if field == 2 then
        size = len
        if len > limit then
          parts[#parts + 1] = string.sub(msg, copied, p - 1)
          parts[#parts + 1] = write_varint(limit)
          parts[#parts + 1] = string.sub(msg, q, q + limit - 1)
          copied = q + len
        end
      end
      pos = q + len
    else
      return string.sub(msg, 1, limit), -1
    end
  end
  if pos ~= n + 1 then return string.sub(msg, 1, limit), -1 end
  parts[#parts + 1] = string.sub(msg, copied)
  return table.concat(parts), size
end

-- (msg cut, payload size, result prefix, result size) of one task hash.
local function preview(hash, limit)
  local v = redis.call("HMGET", hash, "msg")
  local msg, psize = 0, 0
  if v[1] then msg, psize = cut_payload(v[1], limit) end
  local rsize = redis.call("HSTRLEN", hash, "result")
  local result = redis.call("HGET", hash, "result")
  if result then
    result = string.sub(result, 1, limit)
  else
    result = 0
  end
  return msg, psize, result, rsize
end

local limit = tonumber(ARGV[5])
if ARGV[1] == "one" then
  if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
  local state = redis.call("HGET", KEYS[1], "state") or ""
  local npa = 0
  if state == "scheduled" or state == "retry" then
    npa = redis.call("ZSCORE", ARGV[4] .. state, ARGV[2]) or 0
  elseif state == "pending" then
    npa = ARGV[3]
  end
  local lease = 0
  if state == "active" then
    lease = redis.call("ZSCORE", ARGV[4] .. "lease", ARGV[2]) or 0
  end
  local msg, psize, result, rsize = preview(KEYS[1], limit)
  return {msg, state, npa, result, lease, psize, rsize}
end

local start, stop = tonumber(ARGV[2]), tonumber(ARGV[3])
local ids, scores = read_page(ARGV[1], KEYS[1], KEYS[2], start, stop)
if not ids then
  return scores -- the WRONGTYPE error reply
end
local out = {}
local budget, used, more = tonumber(ARGV[6]), 0, 0
for i, id in ipairs(ids) do
  local hash = ARGV[4] .. id
  local t = redis.call("TYPE", hash).ok
  local cost = 0
  if t == "hash" then
    cost = redis.call("HSTRLEN", hash, "msg") + redis.call("HSTRLEN", hash, "result")
  end
  if used > 0 and used + cost > budget then
    more = 1
    break
  end
  used = used + cost
  local msg, psize, result, rsize, wrong = 0, 0, 0, 0, ""
  if t == "hash" then
    msg, psize, result, rsize = preview(hash, limit)
  elseif t == "none" then
    wrong = "has no task hash"
  else
    wrong = "task key holds a " .. t .. ", not a hash"
  end
  out[#out + 1] = id
  out[#out + 1] = msg
  out[#out + 1] = psize
  out[#out + 1] = result
  out[#out + 1] = rsize
  out[#out + 1] = scores[i] or 0
  out[#out + 1] = wrong
end
out[#out + 1] = more
return out
