-- dequeue_many: what dequeue.lua (spec §4.10) does, up to ARGV[3] times in one call.
-- Redis ends exactly as after that many Go dequeues (RPOPLPUSH pending->active, HSET
-- state=active, HDEL pending_since, ZADD lease, HGET msg per id), with the list and lease work
-- done once for the batch: RPOP with a count takes the oldest ids from the tail in pop order,
-- and one LPUSH of them in that order leaves active exactly as the RPOPLPUSHes would (the last
-- popped at the head). All ids share one lease expiry, so one ZADD writes every lease.
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
local ids = redis.call("RPOP", KEYS[1], tonumber(ARGV[3]))
if not ids then
  return out
end
redis.call("LPUSH", KEYS[3], unpack(ids))
local lease = {}
for i, id in ipairs(ids) do
  local key = ARGV[2] .. id
  redis.call("HSET", key, "state", "active")
  redis.call("HDEL", key, "pending_since")
  local msg = redis.call("HGET", key, "msg")
  if msg then
    out[#out + 1] = msg
  end
  lease[2 * i - 1] = ARGV[1]
  lease[2 * i] = id
end
redis.call("ZADD", KEYS[4], unpack(lease))
return out
