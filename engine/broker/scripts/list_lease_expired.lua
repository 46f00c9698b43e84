-- list_lease_expired: messages of tasks whose lease expired before a cutoff (spec §4.18).
-- KEYS[1] lease zset           asynq:{q}:lease
-- ARGV[1] cutoff in Unix seconds
-- ARGV[2] task key prefix      asynq:{q}:t:
-- returns an array of encoded TaskMessages (ids whose hash has no msg are skipped)
local res = {}
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
for _, id in ipairs(ids) do
  local msg = redis.call("HGET", ARGV[2] .. id, "msg")
  if msg then
    table.insert(res, msg)
  end
end
return res
