-- workflow_complete: mark_complete (spec §4.12, Go's steps unchanged) for every success with
-- retention, plus, in the same call, the workflow continuation of a member and the completion
-- notice. Successes without retention keep Go's done (done_many) script.
-- KEYS[1] active list          asynq:{q}:active
-- KEYS[2] lease zset           asynq:{q}:lease
-- KEYS[3] completed zset       asynq:{q}:completed
-- KEYS[4] task hash            asynq:{q}:t:<id>
-- KEYS[5] daily processed      asynq:{q}:processed:<YYYY-MM-DD>
-- KEYS[6] total processed      asynq:{q}:processed
-- KEYS[7] workflow hash        pyasynq:{home}:wf:<workflow id>
--                              (plain task: pyasynq:{q}:wf:-, never existing: no continuation)
-- KEYS[8] unique lock key      (optional: only when msg.unique_key is set)
-- ARGV[1] task id
-- ARGV[2] stats expiry in Unix seconds (now + 90 days)
-- ARGV[3] completed-zset score: now + retention, Unix seconds
-- ARGV[4] encoded TaskMessage with completed_at = now
-- ARGV[5] max int64
-- ARGV[6] now in Unix seconds
-- ARGV[7] now in Unix nanoseconds (pending_since of continuations)
-- ARGV[8] completion channel   pyasynq:done:<id>
-- returns OK; error NOT FOUND when the task is not active (nothing written),
-- INTERNAL when the ZADD added nothing
-- #include workflow_lib
-- Go's steps are mark_complete.lua itself, run as a function: ARGV[1..5] are laid out as
-- mark_complete.lua's, and it gets its own KEYS (ours without the workflow hash, so the unique
-- lock is its 7th). Its NOT FOUND or INTERNAL reply is this script's, with nothing more written.
local function go_mark_complete(KEYS)
-- #include mark_complete
end
local go_keys = { KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6] }
if #KEYS >= 8 then
  go_keys[7] = KEYS[8]
end
local reply = go_mark_complete(go_keys)
if reply.err then
  return reply
end
if redis.call("EXISTS", KEYS[7]) == 1 then
  local result = redis.call("HGET", KEYS[4], "result")
  wf_settle(KEYS[7], ARGV[1], "completed", result, "", ARGV[6], ARGV[7])
end
redis.call("PUBLISH", ARGV[8], "completed")
return redis.status_reply("OK")
