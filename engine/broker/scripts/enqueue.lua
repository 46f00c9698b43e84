-- enqueue: put a new task in the pending list (spec §4.2).
-- KEYS[1] task hash            asynq:{q}:t:<id>
-- KEYS[2] pending list         asynq:{q}:pending
-- ARGV[1] encoded TaskMessage
-- ARGV[2] task id
-- ARGV[3] now in Unix nanoseconds (pending_since)
-- returns 1 when enqueued, 0 when the task id is taken
if redis.call("EXISTS", KEYS[1]) == 1 then
  return 0
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "pending", "pending_since", ARGV[3])
redis.call("LPUSH", KEYS[2], ARGV[2])
return 1
