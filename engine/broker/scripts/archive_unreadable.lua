-- archive_unreadable: move a leased task that cannot be run (its message is missing, does not
-- decode, or names another task) from active to archived, with a readable message saying why.
-- pyasynq only; Go logs such a task and leaves it in active for ever. The original message
-- bytes are kept in the hash field pyasynq_unreadable_msg (Go reads only the fields it knows).
-- A task key of another type than hash is left untouched (it is not ours to overwrite); the
-- id still leaves active, so readers list it in archived and show it as bad.
-- KEYS[1] task key             asynq:{q}:t:<id>
-- KEYS[2] active list          asynq:{q}:active
-- KEYS[3] lease zset           asynq:{q}:lease
-- KEYS[4] archived zset        asynq:{q}:archived
-- ARGV[1] task id
-- ARGV[2] encoded TaskMessage to store (id, queue, error_msg, last_failed_at set)
-- ARGV[3] now in Unix seconds
-- returns the type the task key had; error NOT FOUND when the id is neither active nor leased,
-- WRONGTYPE (nothing written) when active, lease or archived has the wrong type.
local expected = {{KEYS[2], "list", "active"}, {KEYS[3], "zset", "lease"}, {KEYS[4], "zset", "archived"}}
for _, e in ipairs(expected) do
  local t = redis.call("TYPE", e[1]).ok
  if t ~= "none" and t ~= e[2] then
    return redis.error_reply("WRONGTYPE the " .. e[3] .. " key holds a " .. t .. ", not a " .. e[2])
  end
end
local removed = redis.call("LREM", KEYS[2], 0, ARGV[1])
local unleased = redis.call("ZREM", KEYS[3], ARGV[1])
if removed == 0 and unleased == 0 then
  return redis.error_reply("NOT FOUND")
end
redis.call("ZADD", KEYS[4], ARGV[3], ARGV[1])
local t = redis.call("TYPE", KEYS[1]).ok
if t == "hash" then
  local old = redis.call("HGET", KEYS[1], "msg")
  if old then
    redis.call("HSET", KEYS[1], "pyasynq_unreadable_msg", old)
  end
  redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "archived")
elseif t == "none" then
  redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "archived")
end
return t
