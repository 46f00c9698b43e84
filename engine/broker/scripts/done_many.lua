-- done_many: what done.lua (spec §4.11) does, for many tasks of one queue in one call.
-- Per id, in order: LREM active, ZREM lease, DEL task hash (stopping at the first that finds
-- nothing, like done.lua's NOT FOUND), then bump processed daily/total and drop the unique
-- lock if it is still this task's. Redis ends as after one done.lua call per id.
-- KEYS[1] active list          asynq:{q}:active
-- KEYS[2] lease zset           asynq:{q}:lease
-- KEYS[3] daily processed      asynq:{q}:processed:<YYYY-MM-DD>
-- KEYS[4] total processed      asynq:{q}:processed
-- ARGV[1] stats expiry in Unix seconds (now + 90 days)
-- ARGV[2] max int64
-- ARGV[3] task key prefix      asynq:{q}:t:
-- ARGV[4], ARGV[5], ...        pairs: task id, unique key ("" when the task has none)
-- returns an array with one entry per task: 1 done, 0 NOT FOUND (task no longer active),
-- 2 done but a processed counter is not an integer (bad data: left as it is, not counted)
local out = {}
for i = 4, #ARGV, 2 do
  local id, ukey = ARGV[i], ARGV[i + 1]
  local ok = 0
  if redis.call("LREM", KEYS[1], 0, id) ~= 0
      and redis.call("ZREM", KEYS[2], id) ~= 0
      and redis.call("DEL", ARGV[3] .. id) ~= 0 then
    ok = 1
    -- a counter that is not an integer (bad data) must not undo the acknowledgement: the
    -- task is done either way, only the statistic is lost (reported as 2)
    local n = redis.pcall("INCR", KEYS[3])
    if type(n) ~= "number" then
      ok = 2
    elseif n == 1 then
      redis.call("EXPIREAT", KEYS[3], ARGV[1])
    end
    local total = redis.pcall("GET", KEYS[4])
    if type(total) == "table" then
      ok = 2
    elseif tonumber(total) == tonumber(ARGV[2]) then
      redis.call("SET", KEYS[4], 1)
    elseif type(redis.pcall("INCR", KEYS[4])) ~= "number" then
      ok = 2
    end
    if ukey ~= "" and redis.pcall("GET", ukey) == id then
      redis.call("DEL", ukey)
    end
  end
  out[#out + 1] = ok
end
return out
