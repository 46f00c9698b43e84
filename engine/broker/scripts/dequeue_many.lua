-- dequeue_many: what dequeue.lua (spec §4.10) does, up to ARGV[3] times in one call.
-- Each id goes through exactly Go's steps (RPOPLPUSH pending->active, HSET state=active,
-- HDEL pending_since, ZADD lease, HGET msg), so Redis ends as after that many Go dequeues.
-- KEYS[1] pending list         asynq:{q}:pending
-- KEYS[2] paused key           asynq:{q}:paused
-- KEYS[3] active list          asynq:{q}:active
-- KEYS[4] lease zset           asynq:{q}:lease
-- ARGV[1] lease expiry in Unix seconds (now + 30 s)
-- ARGV[2] task key prefix      asynq:{q}:t:
-- ARGV[3] most tasks to take (>= 1)
-- returns an array of encoded TaskMessages, oldest first; empty when paused or empty
-- (an id whose hash has no msg is moved and leased like Go does, and left out of the reply)
local out = {}
if redis.call("EXISTS", KEYS[2]) == 1 then
  return out
end
for _ = 1, tonumber(ARGV[3]) do
  local id = redis.call("RPOPLPUSH", KEYS[1], KEYS[3])
  if not id then
    break
  end
  local key = ARGV[2] .. id
  redis.call("HSET", key, "state", "active")
  redis.call("HDEL", key, "pending_since")
  redis.call("ZADD", KEYS[4], ARGV[1], id)
  local msg = redis.call("HGET", key, "msg")
  if msg then
    out[#out + 1] = msg
  end
end
return out
