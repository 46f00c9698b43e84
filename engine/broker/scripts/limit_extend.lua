-- limit_extend: a live worker renews the leases of the concurrency slots its tasks hold, so a
-- SIGKILLed worker's slots expire (and are reclaimed by the next limit_acquire) within a lease.
-- KEYS    holder zsets (pyasynq:{limits}:c:...), one per ARGV pair
-- ARGV[1] new expiry, Unix seconds
-- ARGV[2..] one task id per key (KEYS[k] goes with ARGV[k + 1])
-- returns the number of slots renewed (a slot already expired and reclaimed is not recreated)
local n = 0
for k, key in ipairs(KEYS) do
  n = n + redis.call("ZADD", key, "XX", "CH", ARGV[1], ARGV[k + 1])
end
return n
