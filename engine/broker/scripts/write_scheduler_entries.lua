-- write_scheduler_entries: replace a scheduler's entry list (spec §4.28, heartbeat).
-- KEYS[1] entries list         asynq:schedulers:{<schedulerid>}
-- ARGV[1] TTL in seconds
-- ARGV[2..] encoded SchedulerEntry, one per entry
-- returns "OK"
-- The ZADD into asynq:schedulers is a separate command: it lives in another cluster slot.
redis.call("DEL", KEYS[1])
for i = 2, #ARGV do
  redis.call("LPUSH", KEYS[1], ARGV[i])
end
redis.call("EXPIRE", KEYS[1], ARGV[1])
return redis.status_reply("OK")
