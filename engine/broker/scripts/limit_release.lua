-- limit_release: a task's run is over; give back the concurrency slots it held.
-- KEYS    the holder zsets of every concurrency limit the task held (pyasynq:{limits}:c:...)
-- ARGV[1] task id
-- returns the number of slots released
local n = 0
for _, key in ipairs(KEYS) do
  n = n + redis.call("ZREM", key, ARGV[1])
end
return n
