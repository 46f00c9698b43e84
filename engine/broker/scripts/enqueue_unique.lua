-- enqueue_unique: take the unique lock, then enqueue as pending (spec §4.3).
-- KEYS[1] unique lock key      asynq:{q}:unique:<type>:<md5>
-- KEYS[2] task hash
-- KEYS[3] pending list
-- ARGV[1] task id
-- ARGV[2] lock TTL in whole seconds
-- ARGV[3] encoded TaskMessage
-- ARGV[4] now in Unix nanoseconds
-- returns 1 enqueued, -1 lock held (duplicate), 0 task id taken (the lock is kept, as Go does)
local ok = redis.call("SET", KEYS[1], ARGV[1], "NX", "EX", ARGV[2])
if not ok then
  return -1
end
if redis.call("EXISTS", KEYS[2]) == 1 then
  return 0
end
redis.call("HSET", KEYS[2], "msg", ARGV[3], "state", "pending", "pending_since", ARGV[4],
  "unique_key", KEYS[1])
redis.call("LPUSH", KEYS[3], ARGV[1])
return 1
