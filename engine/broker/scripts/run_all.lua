-- run_all: move every task of a zset (scheduled, retry, archived or a group) to pending
-- (spec §5.9 RunAll*, RunAllAggregating).
-- KEYS[1] source zset   KEYS[2] pending list   KEYS[3] groups set
-- ARGV[1] task key prefix   ARGV[2] group name, or "" when the source is not a group
-- returns the number of tasks moved; pending_since is not set, as in Go.
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  redis.call("LPUSH", KEYS[2], id)
  redis.call("HSET", ARGV[1] .. id, "state", "pending")
end
redis.call("DEL", KEYS[1])
if ARGV[2] ~= "" then
  redis.call("SREM", KEYS[3], ARGV[2])
end
return #ids
