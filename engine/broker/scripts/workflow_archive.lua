-- workflow_archive: archive (spec §4.15, Go's steps unchanged) for every final failure of a
-- pyasynq worker or recoverer, plus, in the same call, the failure continuation of a member
-- and the completion notice.
-- KEYS[1] task hash            asynq:{q}:t:<id>
-- KEYS[2] active list          asynq:{q}:active
-- KEYS[3] lease zset           asynq:{q}:lease
-- KEYS[4] archived zset        asynq:{q}:archived
-- KEYS[5] daily processed      asynq:{q}:processed:<YYYY-MM-DD>
-- KEYS[6] daily failed         asynq:{q}:failed:<YYYY-MM-DD>
-- KEYS[7] total processed      asynq:{q}:processed
-- KEYS[8] total failed         asynq:{q}:failed
-- KEYS[9] workflow hash        pyasynq:{home}:wf:<workflow id>
--                              (plain task: pyasynq:{q}:wf:-, never existing: no continuation)
-- ARGV[1] task id
-- ARGV[2] encoded TaskMessage (error_msg, last_failed_at updated)
-- ARGV[3] now in Unix seconds
-- ARGV[4] age cutoff in Unix seconds (now - 90 days)
-- ARGV[5] archive max size (10000)
-- ARGV[6] stats expiry in Unix seconds (now + 90 days)
-- ARGV[7] max int64
-- ARGV[8] task key prefix      asynq:{q}:t:
-- ARGV[9] error text
-- ARGV[10] now in Unix nanoseconds (pending_since of continuations)
-- ARGV[11] completion channel  pyasynq:done:<id>
-- ARGV[12] now in Unix seconds, with its fraction (workflow times)
-- returns OK; error NOT FOUND when the task is not active (nothing written)
-- #include workflow_lib
-- Go's steps are archive.lua itself, run as a function: KEYS[1..8] and ARGV[1..8] are laid out
-- as archive.lua's, and its NOT FOUND reply is this script's, with nothing more written.
local function go_archive()
-- #include archive
end
local reply = go_archive()
if reply.err then
  return reply
end
if redis.call("EXISTS", KEYS[9]) == 1 then
  wf_settle(KEYS[9], ARGV[1], "archived", false, ARGV[9], ARGV[12], ARGV[10])
end
redis.call("PUBLISH", ARGV[11], "archived")
return redis.status_reply("OK")
