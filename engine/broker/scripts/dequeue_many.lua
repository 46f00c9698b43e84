-- dequeue_many: what dequeue.lua (spec §4.10) does, up to ARGV[3] times in one call.
-- Each id goes through exactly Go's steps (RPOPLPUSH pending->active, HSET state=active,
-- HDEL pending_since, ZADD lease, HGET msg), so Redis ends as after that many Go dequeues.
-- Unlike Go it first checks the types of the keys it writes, so a key of the wrong type fails
-- the call before anything moved (Go would leave an id in active without a lease), and a task
-- key that is not a hash is leased without being written, for the worker to archive.
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
local expected = {{KEYS[1], "list", "pending"}, {KEYS[3], "list", "active"}, {KEYS[4], "zset", "lease"}}
for _, e in ipairs(expected) do
  local t = redis.call("TYPE", e[1]).ok
  if t ~= "none" and t ~= e[2] then
    return redis.error_reply("WRONGTYPE the " .. e[3] .. " key holds a " .. t .. ", not a " .. e[2])
  end
end
for _ = 1, tonumber(ARGV[3]) do
  local id = redis.call("RPOPLPUSH", KEYS[1], KEYS[3])
  if not id then
    break
  end
  local key = ARGV[2] .. id
  local t = redis.call("TYPE", key).ok
  local msg = false
  if t == "hash" or t == "none" then
    redis.call("HSET", key, "state", "active")
    redis.call("HDEL", key, "pending_since")
    msg = redis.call("HGET", key, "msg")
  end
  redis.call("ZADD", KEYS[4], ARGV[1], id)
  out[#out + 1] = id
  out[#out + 1] = msg
  out[#out + 1] = t
end
return out
