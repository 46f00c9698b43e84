-- remove_queue: delete a queue's task containers (spec §5.12).
-- KEYS[1] pending  KEYS[2] active  KEYS[3] scheduled  KEYS[4] retry  KEYS[5] archived
-- KEYS[6] lease
-- ARGV[1] task key prefix   ARGV[2] "1" to force, else "0"
-- returns 1 removed, -1 not empty (without force), -2 has active tasks (force)
-- Completed tasks, groups, counters and the paused key stay, as in Go.
local function ids_of_all()
  local all = {}
  for i = 1, 2 do
    for _, id in ipairs(redis.call("LRANGE", KEYS[i], 0, -1)) do
      all[#all + 1] = id
    end
  end
  for i = 3, 5 do
    for _, id in ipairs(redis.call("ZRANGE", KEYS[i], 0, -1)) do
      all[#all + 1] = id
    end
  end
  return all
end
if ARGV[2] == "1" then
  if redis.call("LLEN", KEYS[2]) > 0 then
    return -2
  end
  for _, id in ipairs(ids_of_all()) do
    redis.call("DEL", ARGV[1] .. id)
  end
else
  if #ids_of_all() > 0 then
    return -1
  end
end
redis.call("DEL", KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return 1
