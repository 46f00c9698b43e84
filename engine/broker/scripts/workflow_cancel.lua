-- workflow_cancel: stop a running workflow: no continuation fires any more, members never
-- enqueued become "cancelled". The caller then deletes or cancels the enqueued ones.
-- KEYS[1] workflow hash        pyasynq:{home}:wf:<workflow id>
-- ARGV[1] now in Unix seconds
-- returns false when there is no such workflow, else {state before, id, queue, id, queue, ...}
-- listing the members still enqueued
if redis.call("EXISTS", KEYS[1]) == 0 then
  return false
end
local before = redis.call("HGET", KEYS[1], "state")
if before == "running" then
  redis.call("HSET", KEYS[1], "state", "cancelled", "finished", ARGV[1])
end
local out = { before }
local all = redis.call("HGETALL", KEYS[1])
for i = 1, #all, 2 do
  local f, v = all[i], all[i + 1]
  if string.sub(f, 1, 2) == "s:" then
    local id = string.sub(f, 3)
    if v == "waiting" and before == "running" then
      redis.call("HSET", KEYS[1], f, "cancelled")
    elseif v == "enqueued" then
      out[#out + 1] = id
      out[#out + 1] = redis.call("HGET", KEYS[1], "q:" .. id)
    end
  end
end
return out
