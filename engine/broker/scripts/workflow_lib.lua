-- workflow_lib: Lua functions shared by the workflow_* scripts. Not an operation of its own:
-- a script that starts with the line "-- #include workflow_lib" gets this text in its place
-- (pyasynq.broker.scripts.source), so every continuation is decided in one place.
--
-- A workflow is one hash, pyasynq:{<home queue>}:wf:<id> (see docs/workflows.md):
--   state running|succeeded|failed|cancelled, stage (current stage index, 0-based), ttl,
--   spec (JSON: {"stages": [[member ids]...], "on_success": id?, "on_failure": id?}),
--   and per member: q:<id> queue, m:<id> its encoded TaskMessage (pending form), g:<id> stage
--   index (-1 for a callback), s:<id> waiting|enqueued|completed|archived|lost|cancelled,
--   t0:<id>/t1:<id> enqueued/finished (Unix seconds), r:<id> result, e:<id> error,
--   left:<k> members of stage k not finished yet.
-- A member moves from "enqueued" to a final state exactly once (every writer checks it), and
-- the continuation is decided in the same script call that records it.

local WF_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function wf_b64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = string.byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = string.sub(WF_ALPHABET, c1 + 1, c1 + 1)
      .. string.sub(WF_ALPHABET, c2 + 1, c2 + 1)
      .. (b and string.sub(WF_ALPHABET, c3 + 1, c3 + 1) or "=")
      .. (c and string.sub(WF_ALPHABET, c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

local function wf_varint(n)
  local out = {}
  while n >= 128 do
    out[#out + 1] = string.char(n % 128 + 128)
    n = math.floor(n / 128)
  end
  out[#out + 1] = string.char(n)
  return table.concat(out)
end

-- Append one headers entry (TaskMessage field 15, a map<string,string>) to an encoded message.
-- Protobuf decoders merge repeated occurrences, so Go and Python both read the extra header.
local function wf_add_header(msg, key, value)
  local entry = "\10" .. wf_varint(#key) .. key .. "\18" .. wf_varint(#value) .. value
  return msg .. "\122" .. wf_varint(#entry) .. entry
end

-- JSON list of what the given members left behind: id, queue, state, result (base64), error.
local function wf_parents(wf, ids)
  local list = {}
  for i, id in ipairs(ids) do
    local f = redis.call("HMGET", wf, "q:" .. id, "s:" .. id, "r:" .. id, "e:" .. id)
    local p = { id = id, queue = f[1], state = f[2] }
    if f[3] then
      p.result = wf_b64(f[3])
    end
    if f[4] then
      p.error = f[4]
    end
    list[i] = p
  end
  return cjson.encode(list)
end

-- Enqueue a waiting member as an ordinary pending Asynq task (Go's enqueue, spec §4.2), with
-- the "pyasynq-parents" header when parents is given. Returns 1, or 0 when it was not waiting.
local function wf_enqueue(wf, id, parents, now, now_ns)
  local f = redis.call("HMGET", wf, "s:" .. id, "q:" .. id, "m:" .. id)
  if f[1] ~= "waiting" then
    return 0
  end
  local q, msg = f[2], f[3]
  if parents then
    msg = wf_add_header(msg, "pyasynq-parents", parents)
  end
  local tkey = "asynq:{" .. q .. "}:t:" .. id
  redis.call("HSET", wf, "s:" .. id, "enqueued", "t0:" .. id, now)
  redis.call("HINCRBY", wf, "enqueues", 1)
  if redis.call("EXISTS", tkey) == 1 then
    return 1 -- a fresh UUID is never taken; if it were, the task there stands for the member
  end
  redis.call("HSET", tkey, "msg", msg, "state", "pending", "pending_since", now_ns)
  redis.call("LPUSH", "asynq:{" .. q .. "}:pending", id)
  redis.call("PUBLISH", "pyasynq:wake", q)
  return 1
end

-- Record a member's final outcome (completed|archived|lost|cancelled) and fire what follows:
-- the next stage when its stage is complete, on_success after the last stage, on_failure at
-- the first failed member. Returns 1 when recorded, 0 when the member was not "enqueued"
-- (already settled: the call is a no-op, which makes every caller idempotent).
local function wf_settle(wf, id, outcome, result, err, now, now_ns)
  if redis.call("HGET", wf, "s:" .. id) ~= "enqueued" then
    return 0
  end
  redis.call("HSET", wf, "s:" .. id, outcome, "t1:" .. id, now)
  if result then
    redis.call("HSET", wf, "r:" .. id, result)
  end
  if err and err ~= "" then
    redis.call("HSET", wf, "e:" .. id, err)
  end
  local ttl = tonumber(redis.call("HGET", wf, "ttl"))
  if ttl and ttl > 0 then
    redis.call("EXPIRE", wf, ttl)
  end
  if redis.call("HGET", wf, "state") ~= "running" then
    return 1
  end
  local stage = tonumber(redis.call("HGET", wf, "g:" .. id))
  if stage == nil or stage < 0 then
    return 1 -- a callback: the workflow's state was decided before it ran
  end
  local spec = cjson.decode(redis.call("HGET", wf, "spec"))
  if outcome ~= "completed" then
    redis.call("HSET", wf, "state", "failed", "finished", now, "failed_member", id)
    if spec.on_failure then
      wf_enqueue(wf, spec.on_failure, wf_parents(wf, { id }), now, now_ns)
    end
    return 1
  end
  if redis.call("HINCRBY", wf, "left:" .. stage, -1) > 0 then
    return 1
  end
  local parents = wf_parents(wf, spec.stages[stage + 1])
  local nxt = stage + 1
  if nxt < #spec.stages then
    redis.call("HSET", wf, "stage", nxt)
    for _, member in ipairs(spec.stages[nxt + 1]) do
      wf_enqueue(wf, member, parents, now, now_ns)
    end
  else
    redis.call("HSET", wf, "state", "succeeded", "finished", now)
    if spec.on_success then
      wf_enqueue(wf, spec.on_success, parents, now, now_ns)
    end
  end
  return 1
end
