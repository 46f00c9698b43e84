-- enqueue_batch: enqueue.lua (spec §4.2) for many new pending tasks of one queue in one call,
-- then one wake-up for idle pyasynq workers. Per task the writes are exactly §4.2's.
-- KEYS[1] pending list         asynq:{q}:pending
-- ARGV[1] task key prefix      asynq:{q}:t:
-- ARGV[2] now in Unix nanoseconds (pending_since, one value for the batch as Go's batch does)
-- ARGV[3] wake-up channel      pyasynq:wake
-- ARGV[4] queue name (the message published)
-- ARGV[5], ARGV[6], ...        pairs: task id, encoded TaskMessage
-- returns an array with one entry per task: 1 enqueued, 0 task id taken
-- The ids are pushed by one LPUSH at the end: LPUSH of several values pushes them one after
-- the other, so the list ends exactly as after one LPUSH per task (§4.2), for a third fewer
-- commands. Chunks stay small (BATCH_CHUNK) so unpack() never nears Lua's stack limit.
local out = {}
local added = {}
for i = 5, #ARGV, 2 do
  local key = ARGV[1] .. ARGV[i]
  if redis.call("EXISTS", key) == 1 then
    out[#out + 1] = 0
  else
    redis.call("HSET", key, "msg", ARGV[i + 1], "state", "pending", "pending_since", ARGV[2])
    added[#added + 1] = ARGV[i]
    out[#out + 1] = 1
  end
end
if #added > 0 then
  redis.call("LPUSH", KEYS[1], unpack(added))
  redis.call("PUBLISH", ARGV[3], ARGV[4])
end
return out
