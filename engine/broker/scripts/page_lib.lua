-- page_lib: reading one page of a state's container, shared by list_tasks and task_previews.
-- Not an operation of its own: a script with the line "-- #include page_lib" gets this text in
-- its place (pyasynq.broker.scripts.source), so both listings check types and order rows alike.
--
-- read_page(kind, container, lease, start, stop) -> ids, scores  (or nil, an error reply)
--   kind "list": pending/active read from the tail (next to dequeue / longest running first),
--   scores from the lease zset when one is given (the active list), else 0;
--   kind "zset": ascending, with their scores.
--   A container (or lease) key of the wrong type is a WRONGTYPE error reply naming it.
local function read_page(kind, container, lease, start, stop)
  local want = kind == "list" and "list" or "zset"
  local held = redis.call("TYPE", container).ok
  if held ~= "none" and held ~= want then
    return nil, redis.error_reply("WRONGTYPE the container key holds a " .. held .. ", not a " .. want)
  end
  if lease then
    local lt = redis.call("TYPE", lease).ok
    if lt ~= "none" and lt ~= "zset" then
      return nil, redis.error_reply("WRONGTYPE the lease key holds a " .. lt .. ", not a zset")
    end
  end
  local ids, scores = {}, {}
  if kind == "list" then
    local raw = redis.call("LRANGE", container, -(stop + 1), -(start + 1))
    for i = #raw, 1, -1 do
      ids[#ids + 1] = raw[i]
    end
    for i, id in ipairs(ids) do
      scores[i] = lease and redis.call("ZSCORE", lease, id) or 0
    end
  else
    local raw = redis.call("ZRANGE", container, start, stop, "WITHSCORES")
    for i = 1, #raw, 2 do
      ids[#ids + 1] = raw[i]
      scores[#scores + 1] = raw[i + 1]
    end
  end
  return ids, scores
end
