-- workflow_settle: record the outcome of a member that finished without our scripts (a Go
-- worker's mark_complete or archive, a deletion) and fire its continuation; the reconciler
-- and the workflow canceller call it. Checked against the task hash in the same call, so it
-- is exactly-once even when it races a pyasynq worker's workflow_complete/workflow_archive.
-- KEYS[1] workflow hash        pyasynq:{home}:wf:<workflow id>
-- KEYS[2] task hash            asynq:{q}:t:<id>
-- ARGV[1] task id
-- ARGV[2] expected task state: "completed", "archived" or "missing" (hash gone)
-- ARGV[3] error text (for archived: the message's error_msg; for missing: why)
-- ARGV[4] now in Unix seconds
-- ARGV[5] now in Unix nanoseconds
-- returns 1 when recorded (continuation fired as due), 0 when the task or member state
-- did not match (nothing written)
-- #include workflow_lib
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local state = redis.call("HGET", KEYS[2], "state")
local outcome
if ARGV[2] == "missing" then
  if state then
    return 0
  end
  if redis.call("HGET", KEYS[1], "state") == "running" then
    outcome = "lost" -- deleted while the workflow still needed it: the workflow fails
  else
    outcome = "cancelled"
  end
elseif state ~= ARGV[2] then
  return 0
else
  outcome = ARGV[2]
end
local result = false
if outcome == "completed" then
  result = redis.call("HGET", KEYS[2], "result")
end
return wf_settle(KEYS[1], ARGV[1], outcome, result, ARGV[3], ARGV[4], ARGV[5])
