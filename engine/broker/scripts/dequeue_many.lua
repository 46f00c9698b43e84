-- dequeue_many: what dequeue.lua (spec §4.10) does, up to ARGV[3] times in one call; the body
-- (and why Redis ends exactly as after that many Go dequeues) is in dequeue_lib.lua.
-- KEYS[1] pending list         asynq:{q}:pending
-- KEYS[2] paused key           asynq:{q}:paused
-- KEYS[3] active list          asynq:{q}:active
-- KEYS[4] lease zset           asynq:{q}:lease
-- ARGV[1] lease expiry in Unix seconds (now + 30 s)
-- ARGV[2] task key prefix      asynq:{q}:t:
-- ARGV[3] most tasks to take (>= 1)
-- returns a flat array, 2 items per task, oldest first: the id, then its msg or, when there is
-- none, an array of one item: the type the task key had ("hash" without msg, "none" or another
-- type); empty when paused or empty.
-- error WRONGTYPE (nothing written) when pending, active or lease has the wrong type.
-- #include dequeue_lib
local out, err = dequeue_many(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
if not out then
  return redis.error_reply(err)
end
return out
