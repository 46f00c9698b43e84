-- workflow_create: write a workflow and enqueue its first stage, atomically.
-- KEYS[1] workflow hash        pyasynq:{home}:wf:<workflow id>
-- ARGV[1] ttl in seconds (refreshed at every member outcome)
-- ARGV[2] now in Unix seconds
-- ARGV[3] now in Unix nanoseconds (pending_since)
-- ARGV[4] spec JSON {"stages": [[ids]...], "on_success": id?, "on_failure": id?}
-- ARGV[5] JSON object of the workflow's descriptive fields (id, name, queue, ...)
-- ARGV[6..] per member: id, queue, stage index (-1 for a callback), encoded TaskMessage
-- returns 1 created, 0 when the workflow id is taken, -1 when a first-stage task id is taken
-- (nothing written in either case)
-- #include workflow_lib
if redis.call("EXISTS", KEYS[1]) == 1 then
  return 0
end
local spec = cjson.decode(ARGV[4])
local queue_of = {}
for i = 6, #ARGV, 4 do
  queue_of[ARGV[i]] = ARGV[i + 1]
end
for _, id in ipairs(spec.stages[1]) do
  if redis.call("EXISTS", "asynq:{" .. queue_of[id] .. "}:t:" .. id) == 1 then
    return -1
  end
end
local fields = cjson.decode(ARGV[5])
for k, v in pairs(fields) do
  redis.call("HSET", KEYS[1], k, v)
end
redis.call("HSET", KEYS[1], "state", "running", "stage", 0, "created", ARGV[2], "ttl", ARGV[1],
  "spec", ARGV[4], "enqueues", 0)
for i = 6, #ARGV, 4 do
  local id = ARGV[i]
  redis.call("HSET", KEYS[1], "q:" .. id, ARGV[i + 1], "g:" .. id, ARGV[i + 2],
    "m:" .. id, ARGV[i + 3], "s:" .. id, "waiting")
end
for k, stage in ipairs(spec.stages) do
  redis.call("HSET", KEYS[1], "left:" .. (k - 1), #stage)
end
redis.call("EXPIRE", KEYS[1], ARGV[1])
for _, id in ipairs(spec.stages[1]) do
  wf_enqueue(KEYS[1], id, nil, ARGV[2], ARGV[3])
end
return 1
