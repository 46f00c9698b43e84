-- live_members: members of a heartbeat zset that have not expired, pruning stale ones
-- (spec §5.14, §5.15: asynq:servers, asynq:workers, asynq:schedulers).
-- KEYS[1] heartbeat zset
-- ARGV[1] now Unix s
-- returns the member keys whose expiry score >= now.
local live = redis.call("ZRANGEBYSCORE", KEYS[1], ARGV[1], "+inf")
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", tonumber(ARGV[1]) - 1)
return live
