-- enqueue_notify: enqueue.lua (spec §4.2), handing the task straight to an idle pyasynq worker
-- when one waits for this queue, else a wake-up for idle pyasynq workers.
--
-- Hand-off: an idle pyasynq worker registers in the zset KEYS[6] (member: "<lease seconds>
-- <server id>", score: until when, in Unix ms) and listens on ARGV[6] .. <server id>. When the queue is not
-- paused, nothing older waits in pending and such a worker is registered, the script takes the
-- registration (one task per registration) and publishes "<lease expiry> <msg>" to it; if the
-- worker is listening (PUBLISH reached someone), the task is written exactly as Go's enqueue.lua
-- followed by Go's dequeue.lua would leave it (hash {msg, state=active}, id at the head of
-- active, leased until now + the worker's lease seconds) and the worker runs it without a dequeue round trip.
-- Otherwise (no registration, nobody listening, paused, older tasks waiting) the Redis state
-- written is exactly §4.2's and a PUBLISH on ARGV[4] wakes idle pyasynq workers (Go workers
-- never subscribe to either channel and keep polling).
-- KEYS[1] task hash            asynq:{q}:t:<id>
-- KEYS[2] pending list         asynq:{q}:pending
-- KEYS[3] paused key           asynq:{q}:paused
-- KEYS[4] active list          asynq:{q}:active
-- KEYS[5] lease zset           asynq:{q}:lease
-- KEYS[6] idle workers zset    pyasynq:{q}:idle
-- ARGV[1] encoded TaskMessage
-- ARGV[2] task id
-- ARGV[3] now in Unix nanoseconds (pending_since)
-- ARGV[4] wake-up channel      pyasynq:wake
-- ARGV[5] queue name (the message published)
-- ARGV[6] hand-off channel prefix  pyasynq:handoff:
-- returns 1 when enqueued, 2 when handed to an idle worker (and leased to it), 0 when the task
-- id is taken (nothing written or published)
if redis.call("EXISTS", KEYS[1]) == 1 then
  return 0
end
-- offers first: with none (every worker busy, or none of ours) one read decides, not three
local now_ms = math.floor(tonumber(ARGV[3]) / 1000000)
local idle = redis.pcall("ZRANGEBYSCORE", KEYS[6], now_ms, "+inf", "LIMIT", 0, 3)
if type(idle) == "table" and idle.err == nil and #idle > 0 then
  if redis.call("EXISTS", KEYS[3]) == 0 and redis.pcall("LLEN", KEYS[2]) == 0 then
    local now_s = math.floor(tonumber(ARGV[3]) / 1000000000)
    for _, member in ipairs(idle) do
      redis.call("ZREM", KEYS[6], member)
      local lease_s, worker = string.match(member, "^(%d+) (.+)$")
      local expiry = now_s + tonumber(lease_s or 0)
      if worker and redis.call("PUBLISH", ARGV[6] .. worker, expiry .. " " .. ARGV[1]) > 0 then
        redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "active")
        redis.call("LPUSH", KEYS[4], ARGV[2])
        redis.call("ZADD", KEYS[5], expiry, ARGV[2])
        return 2
      end
    end
  end
end
redis.call("HSET", KEYS[1], "msg", ARGV[1], "state", "pending", "pending_since", ARGV[3])
redis.call("LPUSH", KEYS[2], ARGV[2])
redis.call("PUBLISH", ARGV[4], ARGV[5])
return 1
