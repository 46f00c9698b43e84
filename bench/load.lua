-- bench loader: write COUNT tasks of one queue straight in Asynq's layout (spec §2.4, §4.2,
-- §4.5, §4.15), far faster than a client can, to fill a queue with millions for the console.
-- KEYS[1] pending list, scheduled zset or archived zset of the queue
-- ARGV[1] task key prefix asynq:{q}:t:
-- ARGV[2] TaskMessage bytes before the id field (fields 1-2)
-- ARGV[3] TaskMessage bytes after the id field (fields 4-15)
-- ARGV[4] first index, ARGV[5] count, ARGV[6] state: pending | scheduled | archived
-- ARGV[7] score (scheduled: process-at; archived: last failed at), ARGV[8] now in ns
-- returns the number written
local first, count, state = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
for i = first, first + count - 1 do
  local id = string.format("%08x-0000-4000-8000-%012x", i, i)
  local msg = ARGV[2] .. "\26\36" .. id .. ARGV[3]
  if state == "pending" then
    redis.call("HSET", ARGV[1] .. id, "msg", msg, "state", "pending", "pending_since", ARGV[8])
    redis.call("LPUSH", KEYS[1], id)
  else
    redis.call("HSET", ARGV[1] .. id, "msg", msg, "state", state)
    redis.call("ZADD", KEYS[1], tonumber(ARGV[7]) + i % 1000, id)
  end
end
return count
