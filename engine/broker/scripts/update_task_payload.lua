-- update_task_payload: replace a task's msg when its state allows it (spec §5.17, broadened).
-- KEYS[1] task hash
-- ARGV[1] new encoded msg   ARGV[2] the msg the caller read (guards a concurrent change)
-- ARGV[3..] states in which the update is allowed
-- returns {1, state} updated, {0, ""} no such task, {-1, state} state not allowed,
--         {-2, state} msg changed since it was read. Other hash fields are left as they are.
if redis.call("EXISTS", KEYS[1]) == 0 then
  return {0, ""}
end
local v = redis.call("HMGET", KEYS[1], "state", "msg")
local state = v[1] or ""
local allowed = false
for i = 3, #ARGV do
  if ARGV[i] == state then
    allowed = true
  end
end
if not allowed then
  return {-1, state}
end
if v[2] ~= ARGV[2] then
  return {-2, state}
end
redis.call("HSET", KEYS[1], "msg", ARGV[1])
return {1, state}
