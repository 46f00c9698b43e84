-- dequeue: move the oldest pending task of one queue to active and lease it (spec §4.10).
-- KEYS[1] pending list         asynq:{q}:pending
-- KEYS[2] paused key           asynq:{q}:paused
-- KEYS[3] active list          asynq:{q}:active
-- KEYS[4] lease zset           asynq:{q}:lease
-- ARGV[1] lease expiry in Unix seconds (now + 30 s)
-- ARGV[2] task key prefix      asynq:{q}:t:
-- returns the encoded TaskMessage, or nil when the queue is paused or empty
-- (as in Go, a missing hash also gives nil after the id moved to active)
if redis.call("EXISTS", KEYS[2]) == 0 then
  local id = redis.call("RPOPLPUSH", KEYS[1], KEYS[3])
  if id then
    local key = ARGV[2] .. id
    redis.call("HSET", key, "state", "active")
    redis.call("HDEL", key, "pending_since")
    redis.call("ZADD", KEYS[4], ARGV[1], id)
    return redis.call("HGET", key, "msg")
  end
end
return nil
