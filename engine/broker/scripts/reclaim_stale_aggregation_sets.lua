-- reclaim_stale_aggregation_sets: put the tasks of expired sets back into their group (spec §4.24).
-- KEYS[1] aggregation sets     asynq:{q}:aggregation_sets
-- ARGV[1] now, Unix seconds
-- returns the number of sets reclaimed
-- The group key is the set key without its last ":<setid>" segment. As in Go, the groups set
-- is not re-populated: the group is seen again once a new task joins it.
local stale = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
for _, setKey in ipairs(stale) do
  local groupKey = string.match(setKey, "^(.*):[^:]*$")
  local members = redis.call("ZRANGE", setKey, 0, -1, "WITHSCORES")
  for i = 1, #members, 2 do
    redis.call("ZADD", groupKey, members[i + 1], members[i])
  end
  redis.call("DEL", setKey)
end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
return #stale
