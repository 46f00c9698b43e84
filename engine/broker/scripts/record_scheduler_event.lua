-- record_scheduler_event: add one enqueue event to an entry's history (spec §4.29).
-- KEYS[1] history zset         asynq:scheduler_history:<entryid>
-- ARGV[1] enqueued at, Unix seconds (the score)
-- ARGV[2] encoded SchedulerEnqueueEvent (the member)
-- ARGV[3] max history size (1000)
-- returns 1
-- Trimming first keeps the newest max-1, so the zset never holds more than max events.
redis.call("ZREMRANGEBYRANK", KEYS[1], 0, -tonumber(ARGV[3]))
redis.call("ZADD", KEYS[1], ARGV[1], ARGV[2])
return 1
