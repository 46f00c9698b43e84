-- write_server_state: the heartbeat's server info and in-flight workers (spec §4.26).
-- KEYS[1] server info key      asynq:servers:{host:pid:sid}
-- KEYS[2] workers hash         asynq:workers:{host:pid:sid}
-- ARGV[1] TTL in seconds (2 x heartbeat interval)
-- ARGV[2] encoded ServerInfo
-- ARGV[3..] task id, encoded WorkerInfo, task id, encoded WorkerInfo, ...
-- returns OK (the ZADDs to asynq:servers and asynq:workers are separate commands)
redis.call("SETEX", KEYS[1], ARGV[1], ARGV[2])
redis.call("DEL", KEYS[2])
for i = 3, table.getn(ARGV) - 1, 2 do
  redis.call("HSET", KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call("EXPIRE", KEYS[2], ARGV[1])
return redis.status_reply("OK")
