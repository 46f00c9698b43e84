-- done_and_dequeue: done_many then dequeue_many on one queue, in one call. A busy worker
-- acknowledges the tasks it finished and takes as many new ones in the same round trip
-- (half the calls per task of doing both apart). Redis ends exactly as after done_many
-- followed by dequeue_many (done_lib.lua, dequeue_lib.lua): the same steps, in that order.
-- KEYS[1] active list          asynq:{q}:active
-- KEYS[2] lease zset           asynq:{q}:lease
-- KEYS[3] daily processed      asynq:{q}:processed:<YYYY-MM-DD>
-- KEYS[4] total processed      asynq:{q}:processed
-- KEYS[5] pending list         asynq:{q}:pending
-- KEYS[6] paused key           asynq:{q}:paused
-- ARGV[1] stats expiry in Unix seconds (now + 90 days)
-- ARGV[2] max int64
-- ARGV[3] task key prefix      asynq:{q}:t:
-- ARGV[4] lease expiry in Unix seconds (now + 30 s)
-- ARGV[5] most tasks to take (0: acknowledge only)
-- ARGV[6] how many tasks without a unique key follow
-- ARGV[7], ...        their ids, then pairs: task id, unique key (tasks with one)
-- returns {done flags (as done_many), dequeued (as dequeue_many), error text or ""}: a key of
-- the wrong type stops only the dequeue (nothing of it written); the acknowledgements stand.
-- #include done_lib
-- #include dequeue_lib
local flags = done_many(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV, 6)
if tonumber(ARGV[5]) < 1 then
  return {flags, {}, ""}
end
local out, err = dequeue_many(KEYS[5], KEYS[6], KEYS[1], KEYS[2], ARGV[4], ARGV[3], ARGV[5])
if not out then
  return {flags, {}, err}
end
return {flags, out, ""}
