-- read_aggregation_set: the messages of an aggregation set and its deadline (spec §4.22).
-- KEYS[1] aggregation set      asynq:{q}:g:<group>:<setid>
-- KEYS[2] aggregation sets     asynq:{q}:aggregation_sets
-- ARGV[1] task key prefix      asynq:{q}:t:
-- returns {deadline (Unix s, or false when unregistered), msg1, msg2, ...} oldest first;
-- members whose task hash is gone are skipped.
local out = {}
out[1] = redis.call("ZSCORE", KEYS[2], KEYS[1])
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  local msg = redis.call("HGET", ARGV[1] .. id, "msg")
  if msg then
    table.insert(out, msg)
  end
end
return out
