-- dequeue_lib: the body of dequeue_many, shared by dequeue_many and done_and_dequeue.
-- Not an operation of its own: a script with the line "-- #include dequeue_lib" gets this text
-- in its place (pyasynq.broker.scripts.source).
--
-- dequeue_many(pending, paused, active, lease, expiry, prefix, count) -> out (or nil, error text)
-- What dequeue.lua (spec §4.10) does, up to count times. Redis ends exactly as after that many
-- Go dequeues (RPOPLPUSH pending->active, HSET state=active, HDEL pending_since, ZADD lease,
-- HGET msg per id), with the list and lease work done once for the batch: RPOP with a count
-- takes the oldest ids from the tail in pop order, and one LPUSH of them in that order leaves
-- active exactly as the RPOPLPUSHes would (the last popped at the head). All ids share one
-- lease expiry, so one ZADD writes every lease.
-- Unlike Go it checks the types of the queue's keys before the first write, so a key of the
-- wrong type fails the call before anything moved (Go would leave an id in active without a
-- lease), and a task key that is not a hash is leased without being written, for the worker to
-- archive. An idle queue costs the same commands as Go's dequeue.
-- out is a flat array, 2 items per task, oldest first: the id, then its msg, or, when there is
-- no message to run, an array of one item: the type the task key had ("hash" for a hash
-- without msg, "none" when there was no hash, or another type); empty when paused or empty.
-- The error text starts with WRONGTYPE (nothing written) when pending, active or lease has the
-- wrong type.
local function dequeue_many(pending, paused, active, lease, expiry, prefix, count)
  local out = {}
  if redis.call("EXISTS", paused) == 1 then
    return out
  end
  local function wrongtype(key, what, want)
    return nil, "WRONGTYPE the " .. what .. " key holds a " .. redis.call("TYPE", key).ok .. ", not a " .. want
  end
  -- an idle queue costs what Go's dequeue costs (EXISTS + one read); the type checks run only
  -- when there is something to move, before the first write
  local waiting = redis.pcall("LLEN", pending)
  if type(waiting) == "table" then
    return wrongtype(pending, "pending", "list")
  end
  if waiting == 0 then
    return out
  end
  for _, e in ipairs({{active, "list", "active"}, {lease, "zset", "lease"}}) do
    local t = redis.call("TYPE", e[1]).ok
    if t ~= "none" and t ~= e[2] then
      return wrongtype(e[1], e[3], e[2])
    end
  end
  local ids = redis.call("RPOP", pending, tonumber(count))
  if not ids then
    return out
  end
  redis.call("LPUSH", active, unpack(ids))
  local leases = {}
  for i, id in ipairs(ids) do
    local key = prefix .. id
    local msg = false
    local t = "hash"
    local added = redis.pcall("HSET", key, "state", "active")
    if type(added) == "table" then
      t = redis.call("TYPE", key).ok -- not a hash: leased untouched, for the worker to archive
    else
      redis.call("HDEL", key, "pending_since")
      msg = redis.call("HGET", key, "msg")
      if not msg and added == 1 and redis.call("HLEN", key) == 1 then
        t = "none" -- HSET made Go's stub: there was no task hash
      end
    end
    leases[2 * i - 1] = expiry
    leases[2 * i] = id
    out[2 * i - 1] = id
    if msg and t == "hash" then
      out[2 * i] = msg
    else
      out[2 * i] = {t} -- no message to run: what the task key was instead
    end
  end
  redis.call("ZADD", lease, unpack(leases))
  return out
end
