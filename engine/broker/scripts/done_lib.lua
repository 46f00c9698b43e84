-- done_lib: the body of done_many, shared by done_many and done_and_dequeue.
-- Not an operation of its own: a script with the line "-- #include done_lib" gets this text in
-- its place (pyasynq.broker.scripts.source).
--
-- done_many(active, lease, daily, total, stats_expiry, max_int, prefix, args, first) -> flags
-- What done.lua (spec §4.11) does for many tasks of one queue. From args[first]: how many
-- tasks without a unique key follow, their ids, then pairs (task id, unique key) for the tasks
-- with one (the common case sends one argument per task, not two). Redis ends exactly as after one done.lua call per
-- id, in order: LREM active, ZREM lease, DEL task hash (a task stops at the first step that
-- finds nothing, keeping the earlier writes, like done.lua's NOT FOUND), then processed
-- daily/total bumped and the unique lock dropped if it is still this task's. The tasks touch
-- disjoint keys but for the counters, whose bumps add up, so the order of the steps across
-- tasks does not change the result. The lease check and removal, the hash deletions, the
-- counters and (for one worker's short active list) the list removal are done once for the
-- batch with the same result.
-- Returns one flag per task, in the order of the arguments: 1 done, 0 NOT FOUND (task no
-- longer active), 2 done but a processed counter is not an integer (bad data: left as it is,
-- not counted); a single flag when every task has the same one (a smaller reply).

-- remove_from_active(active, ids) -> indexes (into ids) of the ids removed, in order.
-- Equal to one LREM active -1 id per request, in order: each request removes the occurrence
-- of its id nearest the tail, or finds none. When the list is short next to the batch (one
-- worker's active tasks: at most a few times the ids acknowledged) it is read once and
-- written back without them (LRANGE, DEL, RPUSH: the same elements in the same order), which
-- costs Redis less than one LREM per id; a long list (a large fleet on one queue) gets the
-- LREMs, which stop near the tail where the oldest tasks sit.
local REWRITE_MAX = 4000
local function remove_from_active(active, ids)
  local found = {}
  local len = redis.call("LLEN", active)
  if len == 0 or len > 2 * #ids + 64 or len > REWRITE_MAX then
    for n, id in ipairs(ids) do
      if redis.call("LREM", active, -1, id) ~= 0 then
        found[#found + 1] = n
      end
    end
    return found
  end
  local want = {}
  for _, id in ipairs(ids) do
    want[id] = (want[id] or 0) + 1
  end
  local list = redis.call("LRANGE", active, 0, -1)
  local removed, kept = {}, {}
  local any = false
  for j = #list, 1, -1 do -- from the tail, as LREM -1 counts
    local id = list[j]
    local w = want[id]
    if w and w > 0 then
      want[id] = w - 1
      removed[id] = (removed[id] or 0) + 1
      any = true
    else
      kept[#kept + 1] = id
    end
  end
  if any then
    redis.call("DEL", active)
    -- kept holds the survivors tail first: push them back head first, in chunks
    local chunk = {}
    for j = #kept, 1, -1 do
      chunk[#chunk + 1] = kept[j]
      if #chunk == 1000 then
        redis.call("RPUSH", active, unpack(chunk))
        chunk = {}
      end
    end
    if #chunk > 0 then
      redis.call("RPUSH", active, unpack(chunk))
    end
  end
  for n, id in ipairs(ids) do
    local r = removed[id]
    if r and r > 0 then
      removed[id] = r - 1
      found[#found + 1] = n
    end
  end
  return found
end

-- the flags as returned: one per task, or one for all when they are all the same
local function flags_reply(out)
  for n = 2, #out do
    if out[n] ~= out[1] then
      return out
    end
  end
  return {out[1]}
end

local function done_many(active, lease, daily, total, stats_expiry, max_int, prefix, args, first)
  local ids, ukeys, out = {}, {}, {}
  local plain_end = first + tonumber(args[first])
  local i, n = first + 1, 0
  while i <= #args do
    n = n + 1
    ids[n] = args[i]
    out[n] = 0
    if i > plain_end then -- (id, unique key) pairs follow the plain ids
      ukeys[n] = args[i + 1]
      i = i + 2
    else
      i = i + 1
    end
  end
  local found = remove_from_active(active, ids)
  if #found == 0 then
    return flags_reply(out)
  end
  local found_ids = {}
  for k = 1, #found do
    found_ids[k] = ids[found[k]]
  end
  local scores = redis.call("ZMSCORE", lease, unpack(found_ids))
  -- leased tasks: their ids for one ZREM; the plain ones' keys for one EXISTS and DEL; the
  -- ones with a unique key after the ZREM, one by one (done.lua's order for each task)
  local leased_ids, plain, plain_keys, unique = {}, {}, {}, {}
  for k = 1, #found do
    if scores[k] then
      local m = found[k]
      leased_ids[#leased_ids + 1] = ids[m]
      if ukeys[m] then
        unique[#unique + 1] = m
      else
        plain[#plain + 1] = m
        plain_keys[#plain_keys + 1] = prefix .. ids[m]
      end
    end
  end
  if #leased_ids == 0 then
    return flags_reply(out)
  end
  redis.call("ZREM", lease, unpack(leased_ids))
  local count = 0
  for _, m in ipairs(unique) do
    local id, ukey = ids[m], ukeys[m]
    if redis.call("DEL", prefix .. id) ~= 0 then
      out[m] = 1
      count = count + 1
      if redis.pcall("GET", ukey) == id then
        redis.call("DEL", ukey)
      end
    end
  end
  -- tasks without a unique key: one DEL for all when EXISTS finds every hash (the usual
  -- case), else one DEL each so each task's NOT FOUND is known
  if #plain > 1 and redis.call("EXISTS", unpack(plain_keys)) == #plain then
    redis.call("DEL", unpack(plain_keys))
    for _, m in ipairs(plain) do
      out[m] = 1
    end
    count = count + #plain
  else
    for k, m in ipairs(plain) do
      if redis.call("DEL", plain_keys[k]) ~= 0 then
        out[m] = 1
        count = count + 1
      end
    end
  end
  if count == 0 then
    return flags_reply(out)
  end
  -- done.lua's bumps, once for the batch: the daily key gets its EXPIREAT when one of the
  -- increments would have returned 1; the total wraps to 1 at max int64 (near it, one by one:
  -- Lua numbers are doubles, exact only to 2^53, hence the wide margin). A counter that is not
  -- an integer (bad data) must not undo the acknowledgement: the tasks are done either way,
  -- only the statistic is lost (reported as 2).
  local ok = 1
  local bumped = redis.pcall("INCRBY", daily, count)
  if type(bumped) ~= "number" then
    ok = 2
  elseif bumped >= 1 and bumped - count < 1 then
    redis.call("EXPIREAT", daily, stats_expiry)
  end
  local sum = redis.pcall("GET", total)
  local max = tonumber(max_int)
  if type(sum) == "table" then
    ok = 2
  elseif tonumber(sum) and tonumber(sum) > max - 1e6 - count then
    for _ = 1, count do
      if tonumber(redis.call("GET", total)) == max then
        redis.call("SET", total, 1)
      elseif type(redis.pcall("INCR", total)) ~= "number" then
        ok = 2
      end
    end
  elseif type(redis.pcall("INCRBY", total, count)) ~= "number" then
    ok = 2
  end
  if ok == 2 then
    for m = 1, #out do
      if out[m] == 1 then
        out[m] = 2
      end
    end
  end
  return flags_reply(out)
end
