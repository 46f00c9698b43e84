-- delete_expired_completed: drop completed tasks whose retention ended (spec §4.19).
-- KEYS[1] completed zset       asynq:{q}:completed
-- ARGV[1] now in Unix seconds
-- ARGV[2] task key prefix      asynq:{q}:t:
-- ARGV[3] batch size (100)
-- returns the number of tasks deleted (call again until 0)
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call("DEL", ARGV[2] .. id)
  redis.call("ZREM", KEYS[1], id)
end
return table.getn(ids)
