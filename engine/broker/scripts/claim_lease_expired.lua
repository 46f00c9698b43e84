-- claim_lease_expired: what the recoverer must settle in one queue (spec §4.18, extended).
-- Every task whose lease expired at or before the cutoff, with its message, plus every id in
-- active that has no lease at all (nothing would ever recover it: Go's dequeue leases
-- atomically, so only bad data or a lost write leaves one); such an id is given a lease at
-- the cutoff first, so the retry and archive scripts (which require a lease) accept it.
-- KEYS[1] lease zset           asynq:{q}:lease
-- KEYS[2] active list          asynq:{q}:active
-- ARGV[1] cutoff in Unix seconds
-- ARGV[2] task key prefix      asynq:{q}:t:
-- returns a flat array, 3 items per task: id, msg (nil when absent), the task key's type.
-- error WRONGTYPE (nothing written) when lease or active has the wrong type.
local expected = {{KEYS[1], "zset", "lease"}, {KEYS[2], "list", "active"}}
for _, e in ipairs(expected) do
  local t = redis.call("TYPE", e[1]).ok
  if t ~= "none" and t ~= e[2] then
    return redis.error_reply("WRONGTYPE the " .. e[3] .. " key holds a " .. t .. ", not a " .. e[2])
  end
end
local out = {}
local function add(id)
  local key = ARGV[2] .. id
  local t = redis.call("TYPE", key).ok
  local msg = false
  if t == "hash" then
    msg = redis.call("HGET", key, "msg")
  end
  out[#out + 1] = id
  out[#out + 1] = msg
  out[#out + 1] = t
end
for _, id in ipairs(redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])) do
  add(id)
end
for _, id in ipairs(redis.call("LRANGE", KEYS[2], 0, -1)) do
  if not redis.call("ZSCORE", KEYS[1], id) then
    redis.call("ZADD", KEYS[1], ARGV[1], id)
    add(id)
  end
end
return out
