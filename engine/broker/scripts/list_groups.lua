-- list_groups: the groups of a queue and their sizes (spec §5.13).
-- KEYS[1] groups set   asynq:{q}:groups
-- ARGV[1] group key prefix   asynq:{q}:g:
-- returns a flat array: group name, ZCARD of its zset, ...
local out = {}
for _, g in ipairs(redis.call("SMEMBERS", KEYS[1])) do
  out[#out + 1] = g
  out[#out + 1] = redis.call("ZCARD", ARGV[1] .. g)
end
return out
