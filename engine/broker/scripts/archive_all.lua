-- archive_all: archive every task of a container (spec §5.9 ArchiveAll*).
-- KEYS[1] source: pending list, scheduled/retry zset or a group zset
-- KEYS[2] archived zset   KEYS[3] groups set
-- ARGV[1] task key prefix   ARGV[2] now Unix s   ARGV[3] cutoff = now - 90 days Unix s
-- ARGV[4] max size 10000    ARGV[5] "list" or "zset"
-- ARGV[6] group name, or "" when the source is not a group
-- returns the number archived; trimming leaves the hashes of trimmed ids, as Go does.
local ids
if ARGV[5] == "list" then
  ids = redis.call("LRANGE", KEYS[1], 0, -1)
else
  ids = redis.call("ZRANGE", KEYS[1], 0, -1)
end
for _, id in ipairs(ids) do
  redis.call("ZADD", KEYS[2], ARGV[2], id)
  redis.call("HSET", ARGV[1] .. id, "state", "archived")
end
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", ARGV[3])
redis.call("ZREMRANGEBYRANK", KEYS[2], 0, -tonumber(ARGV[4]))
redis.call("DEL", KEYS[1])
if ARGV[6] ~= "" then
  redis.call("SREM", KEYS[3], ARGV[6])
end
return #ids
