-- throughput_samples: the samples of many queues' throughput series from a minute on, in one
-- call (the dashboard's throughput card reads every queue on each render: with a thousand
-- queues, one reply to parse instead of a thousand). pyasynq only, like throughput_record.lua.
-- KEYS[i] queue i's series       pyasynq:{q}:throughput (score = minute, member = "minute:processed:failed")
-- ARGV[1] the first minute wanted, Unix seconds
-- returns one array per key, in order: its first item "" (or, when the key holds another type,
-- the error text, and nothing follows), then the members scored from ARGV[1] on, oldest first.
local out = {}
for i, key in ipairs(KEYS) do
  local members = redis.pcall("ZRANGE", key, ARGV[1], "+inf", "BYSCORE")
  if members.err then
    out[i] = {members.err}
  else
    table.insert(members, 1, "")
    out[i] = members
  end
end
return out
