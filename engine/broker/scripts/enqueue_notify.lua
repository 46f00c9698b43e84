-- enqueue_notify: enqueue.lua (spec §4.2) plus a wake-up for idle pyasynq workers.
-- The Redis state written is exactly §4.2's; the PUBLISH only reaches pyasynq workers
-- subscribed to the channel (Go workers never subscribe to it and keep polling).
-- KEYS[1] task hash            asynq:{q}:t:<id>
-- KEYS[2] pending list         asynq:{q}:pending
-- ARGV[1] encoded TaskMessage
-- ARGV[2] task id
-- ARGV[3] now in Unix nanoseconds (pending_since)
-- ARGV[4] wake-up channel      pyasynq:wake
-- ARGV[5] queue name (the message published)
-- returns 1 when enqueued, 0 when the task id is taken (nothing published)
if redis.call("EXISTS", KEYS[1]) == 1 then
  return 0
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "pending", "pending_since", ARGV[3])
redis.call("LPUSH", KEYS[2], ARGV[2])
redis.call("PUBLISH", ARGV[4], ARGV[5])
return 1
