-- delete_all: delete every task of a container (spec §5.9 DeleteAll*).
-- KEYS[1] source: pending list, scheduled/retry/archived/completed zset or a group zset
-- KEYS[2] groups set
-- ARGV[1] task key prefix   ARGV[2] "list" or "zset"
-- ARGV[3] "1" to release unique locks that still point at the task (zset states), else "0"
-- ARGV[4] group name, or "" when the source is not a group
-- returns the number of tasks deleted.
local ids
if ARGV[2] == "list" then
  ids = redis.call("LRANGE", KEYS[1], 0, -1)
else
  ids = redis.call("ZRANGE", KEYS[1], 0, -1)
end
for _, id in ipairs(ids) do
  local key = ARGV[1] .. id
  if ARGV[3] == "1" then
    local ukey = redis.call("HGET", key, "unique_key")
    if ukey and ukey ~= "" and redis.call("GET", ukey) == id then
      redis.call("DEL", ukey)
    end
  end
  redis.call("DEL", key)
end
redis.call("DEL", KEYS[1])
if ARGV[4] ~= "" then
  redis.call("SREM", KEYS[2], ARGV[4])
end
return #ids
