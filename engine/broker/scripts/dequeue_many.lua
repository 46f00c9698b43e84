-- dequeue_many: what dequeue.lua (spec §4.10) does, up to ARGV[3] times in one call.
-- Redis ends exactly as after that many Go dequeues (RPOPLPUSH pending->active, HSET
-- state=active, HDEL pending_since, ZADD lease, HGET msg per id), with the list and lease work
-- done once for the batch: RPOP with a count takes the oldest ids from the tail in pop order,
-- and one LPUSH of them in that order leaves active exactly as the RPOPLPUSHes would (the last
-- popped at the head). All ids share one lease expiry, so one ZADD writes every lease.
-- Unlike Go it checks the types of the queue's keys before the first write, so a key of the
-- wrong type fails the call before anything moved (Go would leave an id in active without a
-- lease), and a task key that is not a hash is leased without being written, for the worker to
-- archive. An idle queue costs the same commands as Go's dequeue.
-- KEYS[1] pending list         asynq:{q}:pending
-- KEYS[2] paused key           asynq:{q}:paused
-- KEYS[3] active list          asynq:{q}:active
-- KEYS[4] lease zset           asynq:{q}:lease
-- ARGV[1] lease expiry in Unix seconds (now + 30 s)
-- ARGV[2] task key prefix      asynq:{q}:t:
-- ARGV[3] most tasks to take (>= 1)
-- returns a flat array, 3 items per task, oldest first: id, msg (nil when the hash has none),
-- the type the task key had ("hash", "none" or another type); empty when paused or empty.
-- error WRONGTYPE (nothing written) when pending, active or lease has the wrong type.
local out = {}
if redis.call("EXISTS", KEYS[2]) == 1 then
  return out
end
local function wrongtype(key, what, want)
  return redis.error_reply("WRONGTYPE the " .. what .. " key holds a " .. redis.call("TYPE", key).ok .. ", not a " .. want)
end
-- an idle queue costs what Go's dequeue costs (EXISTS + one read); the type checks run only
-- when there is something to move, before the first write
local waiting = redis.pcall("LLEN", KEYS[1])
if type(waiting) == "table" then
  return wrongtype(KEYS[1], "pending", "list")
end
if waiting == 0 then
  return out
end
for _, e in ipairs({{KEYS[3], "list", "active"}, {KEYS[4], "zset", "lease"}}) do
  local t = redis.call("TYPE", e[1]).ok
  if t ~= "none" and t ~= e[2] then
    return wrongtype(e[1], e[3], e[2])
  end
end
local ids = redis.call("RPOP", KEYS[1], tonumber(ARGV[3]))
if not ids then
  return out
end
redis.call("LPUSH", KEYS[3], unpack(ids))
local lease = {}
for i, id in ipairs(ids) do
  local key = ARGV[2] .. id
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
  lease[2 * i - 1] = ARGV[1]
  lease[2 * i] = id
  out[#out + 1] = id
  out[#out + 1] = msg
  out[#out + 1] = t
end
redis.call("ZADD", KEYS[4], unpack(lease))
return out
