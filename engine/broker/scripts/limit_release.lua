-- limit_release: tasks' runs are over; give back the concurrency slots they held.
-- KEYS    holder zsets (pyasynq:{limits}:c:...), one per task id in ARGV
-- ARGV    one task id per key (KEYS[k] goes with ARGV[k])
-- returns the number of slots released
local n = 0
for k, key in ipairs(KEYS) do
  n = n + redis.call("ZREM", key, ARGV[k])
end
return n
