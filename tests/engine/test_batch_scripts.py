"""Wire compatibility of the batch scripts: each must leave Redis exactly as the single-task
Go-equivalent script does (spec §4.2, §4.10, §4.11).

``dequeue_many.lua``, ``done_many.lua``, ``enqueue_notify.lua`` and ``enqueue_batch.lua`` are
pyasynq's own; a Go server or inspector sharing the Redis only sees their effects, so those
effects must be the ones Go's ``dequeue.lua``/``done.lua``/``enqueue.lua`` would have had. Each
test builds the same Redis state twice (flushed in between, one ``ManualClock``), runs the
single-task path on one and the batch path on the other, and compares every key: type, value,
absolute expiry (EXPIRETIME, so no rounding is even needed), hash fields, list order, zset
scores. Some tests also assert the absolute state, so "both equally wrong" cannot pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyasynq.broker import keys
from pyasynq.broker.base import MAX_INT64, STATS_TTL
from pyasynq.broker.broker import Broker, NewTask
from pyasynq.broker.worker import TaskNotActiveError
from pyasynq.clock import utc_day

Q = "default"


@pytest.fixture
def broker(redis_url, clock):
    b = Broker(redis_url, clock=clock)
    yield b
    b.close()


def snapshot(r) -> dict[bytes, tuple[Any, ...]]:
    """Every key of the test Redis with its type, full value and absolute expiry."""
    out: dict[bytes, tuple[Any, ...]] = {}
    for k in sorted(r.keys("*")):
        t = r.type(k).decode()
        if t == "string":
            v: Any = r.get(k)
        elif t == "hash":
            v = sorted(r.hgetall(k).items())
        elif t == "list":
            v = r.lrange(k, 0, -1)
        elif t == "zset":
            v = r.zrange(k, 0, -1, withscores=True)
        elif t == "set":
            v = sorted(r.smembers(k))
        else:  # pragma: no cover - the scripts under test write no other type
            raise AssertionError(f"unexpected type {t} for {k!r}")
        out[k] = (t, v, r.execute_command("EXPIRETIME", k))
    return out


def both(r, build: Callable[[], None], single: Callable[[], Any], batch: Callable[[], Any]):
    """Run ``single`` and ``batch`` on two identically built states; return their snapshots
    and replies. Asserts the states are identical, key by key."""
    r.flushall()
    build()
    before = snapshot(r)
    single_reply = single()
    single_state = snapshot(r)
    r.flushall()
    build()
    assert snapshot(r) == before, "the builder is not deterministic"
    batch_reply = batch()
    batch_state = snapshot(r)
    assert batch_state.keys() == single_state.keys()
    for k in single_state:
        assert batch_state[k] == single_state[k], k
    return single_state, single_reply, batch_reply


def put_pending(r, q: str, ids: list[str], *, with_since: bool = True) -> None:
    """Pending tasks as §4.2 writes them (LPUSH, so ids[0] is the oldest)."""
    for i, tid in enumerate(ids):
        fields = {"msg": f"msg-{tid}".encode(), "state": "pending"}
        if with_since:
            fields["pending_since"] = str(1_700_000_000_000_000_000 + i)
        r.hset(keys.task_key(q, tid), mapping=fields)
        r.lpush(keys.pending(q), tid)


def put_active(r, q: str, ids: list[str], lease: int = 1_800_000_030) -> None:
    """Active leased tasks as §4.10 leaves them."""
    for tid in ids:
        r.hset(keys.task_key(q, tid), mapping={"msg": f"msg-{tid}".encode(), "state": "active"})
        r.lpush(keys.active(q), tid)
        r.zadd(keys.lease(q), {tid: lease})


# -- dequeue (§4.10) ---------------------------------------------------------------------------
def go_dequeues(broker, q: str, n: int) -> list[bytes]:
    """n calls of Go's dequeue.lua on one queue; the non-nil messages in order."""
    got = []
    for _ in range(n):
        found = broker.dequeue([q])
        if found:
            got.append(found[0])
    return got


def many(broker, q: str, n: int) -> list[bytes]:
    return [m for m, _ in broker.dequeue_many([q], n)]


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_dequeue_many_equals_that_many_dequeues(broker, r, clock, count):
    def build():
        put_pending(r, Q, ["a", "b", "c"])
        put_active(r, Q, ["z"], lease=1_799_999_999)

    state, single, batch = both(
        r, build, lambda: go_dequeues(broker, Q, count), lambda: many(broker, Q, count)
    )
    assert single == batch == [f"msg-{t}".encode() for t in ["a", "b", "c"][:count]]
    taken = min(count, 3)
    lease = float(int(clock.now()) + 30)
    assert state[keys.lease(Q).encode()][1] == [(b"z", 1_799_999_999.0)] + [
        (t.encode(), lease) for t in ["a", "b", "c"][:taken]
    ]
    assert state[keys.task_key(Q, "a").encode()][1] == [(b"msg", b"msg-a"), (b"state", b"active")]


def test_dequeue_many_on_a_paused_queue_changes_nothing(broker, r):
    def build():
        put_pending(r, Q, ["a", "b"])
        r.set(keys.paused(Q), 1_800_000_000)

    r.flushall()
    build()
    before = snapshot(r)
    state, single, batch = both(
        r, build, lambda: go_dequeues(broker, Q, 2), lambda: many(broker, Q, 2)
    )
    assert single == batch == []
    assert state == before


def test_dequeue_many_on_an_empty_queue_writes_nothing(broker, r):
    def build():
        put_active(r, Q, ["z"])

    state, single, batch = both(
        r, build, lambda: go_dequeues(broker, Q, 3), lambda: many(broker, Q, 3)
    )
    assert single == batch == []
    assert keys.lease(Q).encode() in state and keys.pending(Q).encode() not in state


def test_dequeue_many_with_a_missing_task_hash_leaves_go_s_stub(broker, r, clock):
    """§4.10: the id still moves to active and is leased; HSET creates a stub hash holding
    only state=active; the message is left out of the reply (Go returns nil)."""

    def build():
        put_pending(r, Q, ["a", "gone", "c"])
        r.delete(keys.task_key(Q, "gone"))

    state, single, batch = both(
        r, build, lambda: go_dequeues(broker, Q, 3), lambda: many(broker, Q, 3)
    )
    assert single == batch == [b"msg-a", b"msg-c"]
    assert state[keys.task_key(Q, "gone").encode()] == ("hash", [(b"state", b"active")], -1)
    assert state[keys.active(Q).encode()][1] == [b"c", b"gone", b"a"]
    assert b"gone" in dict(state[keys.lease(Q).encode()][1])


def test_dequeue_many_hash_without_pending_since(broker, r):
    """After Requeue/RunTask a pending hash has no pending_since: HDEL of nothing is fine."""

    def build():
        put_pending(r, Q, ["a", "b"], with_since=False)

    both(r, build, lambda: go_dequeues(broker, Q, 2), lambda: many(broker, Q, 2))


def test_dequeue_many_across_queues_in_order(broker, r):
    """Queues tried in order; the count carries over, like repeated Go dequeues over the list."""

    def build():
        put_pending(r, "high", ["h1"])
        put_pending(r, "low", ["l1", "l2", "l3"])
        r.set(keys.paused("mid"), 1)
        put_pending(r, "mid", ["m1"])

    def single():
        out = []
        for _ in range(3):
            found = broker.dequeue(["high", "mid", "low"])
            if found:
                out.append(found[0])
        return out

    def batch():
        return [m for m, _ in broker.dequeue_many(["high", "mid", "low"], 3)]

    _, s, b = both(r, build, single, batch)
    assert s == b == [b"msg-h1", b"msg-l1", b"msg-l2"]


# -- done (§4.11) ------------------------------------------------------------------------------
def go_dones(broker, q: str, tasks: list[tuple[str, str]]) -> list[bool]:
    """One done.lua call per task (the 6-key variant when a unique key is given)."""
    out = []
    for tid, ukey in tasks:
        try:
            broker.done(q, tid, ukey)
            out.append(True)
        except TaskNotActiveError:
            out.append(False)
    return out


def test_done_many_equals_one_done_per_task(broker, r, clock):
    tasks = [("a", ""), ("b", ""), ("c", "")]

    def build():
        put_active(r, Q, ["a", "b", "c", "d"])

    state, s, b = both(
        r, build, lambda: go_dones(broker, Q, tasks), lambda: broker.done_many(Q, tasks)
    )
    assert s == b == [True, True, True]
    daily = keys.processed_daily(Q, utc_day(clock.now())).encode()
    assert state[daily] == ("string", b"3", int(clock.now()) + STATS_TTL)
    assert state[keys.processed_total(Q).encode()] == ("string", b"3", -1)
    assert state[keys.active(Q).encode()][1] == [b"d"]
    assert keys.task_key(Q, "a").encode() not in state


def test_done_many_first_increment_sets_expireat_and_later_ones_keep_it(broker, r, clock):
    """The daily counter's EXPIREAT runs only when INCR made it 1: an existing counter keeps
    its own expiry (here an older one), exactly as done.lua."""
    daily = keys.processed_daily(Q, utc_day(clock.now()))

    def build():
        put_active(r, Q, ["a", "b"])
        r.set(daily, 5)
        r.expireat(daily, 1_800_000_500)
        r.set(keys.processed_total(Q), 41)

    state, _, _ = both(
        r,
        build,
        lambda: go_dones(broker, Q, [("a", ""), ("b", "")]),
        lambda: broker.done_many(Q, [("a", ""), ("b", "")]),
    )
    assert state[daily.encode()] == ("string", b"7", 1_800_000_500)
    assert state[keys.processed_total(Q).encode()][1] == b"43"


def test_done_many_total_wraps_at_max_int64(broker, r):
    def build():
        put_active(r, Q, ["a", "b"])
        r.set(keys.processed_total(Q), MAX_INT64)

    state, _, _ = both(
        r,
        build,
        lambda: go_dones(broker, Q, [("a", ""), ("b", "")]),
        lambda: broker.done_many(Q, [("a", ""), ("b", "")]),
    )
    assert state[keys.processed_total(Q).encode()][1] == b"2"


def test_done_many_not_found_cases_keep_done_lua_partial_writes(broker, r, clock):
    """NOT FOUND at each of done.lua's three steps: writes before the failing step stay
    applied (not in active: nothing; active but no lease: LREM applied; active and leased but
    no hash: LREM and ZREM applied), and no counter moves for them."""

    def build():
        put_active(r, Q, ["ok1", "nolease", "nohash", "ok2"])
        r.zrem(keys.lease(Q), "nolease")
        r.delete(keys.task_key(Q, "nohash"))

    tasks = [
        ("ok1", ""),
        ("missing", ""),
        ("nolease", ""),
        ("nohash", ""),
        ("ok2", ""),
        ("ok1", ""),
    ]
    state, s, b = both(
        r, build, lambda: go_dones(broker, Q, tasks), lambda: broker.done_many(Q, tasks)
    )
    assert s == b == [True, False, False, False, True, False]
    assert keys.active(Q).encode() not in state  # every id left active
    assert keys.lease(Q).encode() not in state
    assert keys.task_key(Q, "nolease").encode() in state  # stopped before DEL
    assert state[keys.processed_total(Q).encode()][1] == b"2"


def test_done_many_only_failures_writes_no_counter(broker, r, clock):
    def build():
        put_active(r, Q, ["a"])

    state, s, b = both(
        r,
        build,
        lambda: go_dones(broker, Q, [("x", ""), ("y", "")]),
        lambda: broker.done_many(Q, [("x", ""), ("y", "")]),
    )
    assert s == b == [False, False]
    assert keys.processed_total(Q).encode() not in state


def test_done_many_releases_only_locks_still_held_by_the_task(broker, r, clock):
    mine = keys.unique(Q, "t", b"mine")
    other = keys.unique(Q, "t", b"other")
    expired = keys.unique(Q, "t", b"expired")

    def build():
        put_active(r, Q, ["a", "b", "c", "d"])
        r.set(mine, "a", exat=1_800_000_900)
        r.set(other, "someone-else", exat=1_800_000_900)  # lock re-taken by another task

    tasks = [("a", mine), ("b", other), ("c", expired), ("d", "")]
    state, s, b = both(
        r, build, lambda: go_dones(broker, Q, tasks), lambda: broker.done_many(Q, tasks)
    )
    assert s == b == [True, True, True, True]
    assert mine.encode() not in state
    assert state[other.encode()] == ("string", b"someone-else", 1_800_000_900)
    assert expired.encode() not in state


def test_done_many_empty_is_a_no_op(broker, r):
    r.flushall()
    put_active(r, Q, ["a"])
    before = snapshot(r)
    assert broker.done_many(Q, []) == []
    assert snapshot(r) == before


def test_done_many_deletes_many_plain_tasks_at_once_and_unique_ones_one_by_one(broker, r, clock):
    """Tasks without a unique key are deleted by one DEL when every hash is there; with a
    hash missing among them each is deleted alone, so its NOT FOUND is still exact."""
    mine = keys.unique(Q, "t", b"mine")
    ids = [f"p{i}" for i in range(6)]

    def build():
        put_active(r, Q, [*ids, "u"])
        r.set(mine, "u", exat=1_800_000_900)

    tasks = [(i, "") for i in ids] + [("u", mine)]
    state, s, b = both(
        r, build, lambda: go_dones(broker, Q, tasks), lambda: broker.done_many(Q, tasks)
    )
    assert s == b == [True] * 7
    assert state[keys.processed_total(Q).encode()][1] == b"7"
    assert not any(keys.task_key(Q, i).encode() in state for i in [*ids, "u"])
    assert mine.encode() not in state

    def build_missing():
        build()
        r.delete(keys.task_key(Q, "p3"))

    state, s, b = both(
        r, build_missing, lambda: go_dones(broker, Q, tasks), lambda: broker.done_many(Q, tasks)
    )
    assert s == b == [True, True, True, False, True, True, True]
    assert state[keys.processed_total(Q).encode()][1] == b"6"


# -- done then dequeue in one call -------------------------------------------------------------
def test_done_and_dequeue_equals_done_many_then_dequeue_many(broker, r, clock):
    tasks = [("a", ""), ("gone", ""), ("b", "")]

    def build():
        put_active(r, Q, ["a", "b", "c"])
        put_pending(r, Q, ["p1", "p2", "p3", "p4"])

    def apart():
        return broker.done_many(Q, tasks), many(broker, Q, 3)

    def together():
        flags, leased, problem = broker.done_and_dequeue(Q, tasks, 3)
        assert problem is None
        return flags, [t.data for t in leased]

    state, s, b = both(r, build, apart, together)
    assert s == b == ([True, False, True], [b"msg-p1", b"msg-p2", b"msg-p3"])
    assert state[keys.active(Q).encode()][1] == [b"p3", b"p2", b"p1", b"c"]
    assert state[keys.pending(Q).encode()][1] == [b"p4"]
    assert state[keys.processed_total(Q).encode()][1] == b"2"
    assert state[keys.task_key(Q, "p1").encode()][1] == sorted(
        [(b"msg", b"msg-p1"), (b"state", b"active")]
    )


def test_done_and_dequeue_with_nothing_to_take_only_acknowledges(broker, r, clock):
    def build():
        put_active(r, Q, ["a"])
        put_pending(r, Q, ["p1"])

    state, s, b = both(
        r,
        build,
        lambda: broker.done_many(Q, [("a", "")]),
        lambda: broker.done_and_dequeue(Q, [("a", "")], 0)[0],
    )
    assert s == b == [True]
    assert state[keys.pending(Q).encode()][1] == [b"p1"]


def test_done_and_dequeue_on_a_paused_queue_acknowledges_and_takes_nothing(broker, r, clock):
    r.flushall()
    put_active(r, Q, ["a"])
    put_pending(r, Q, ["p1"])
    r.set(keys.paused(Q), "1")
    flags, leased, problem = broker.done_and_dequeue(Q, [("a", "")], 5)
    assert (flags, leased, problem) == ([True], [], None)
    assert r.lrange(keys.pending(Q), 0, -1) == [b"p1"]
    assert r.get(keys.processed_total(Q)) == b"1"


def test_done_and_dequeue_with_bad_pending_keeps_the_acknowledgements(broker, r, clock):
    """A pending key of the wrong type stops the dequeue before it writes; the tasks already
    acknowledged in the same call stay acknowledged, and the error names the queue."""
    r.flushall()
    put_active(r, Q, ["a"])
    r.set(keys.pending(Q), "not a list")
    flags, leased, problem = broker.done_and_dequeue(Q, [("a", "")], 5)
    assert flags == [True] and leased == []
    assert problem is not None and "WRONGTYPE" in str(problem) and repr(Q) in str(problem)
    assert r.get(keys.processed_total(Q)) == b"1"
    assert r.get(keys.pending(Q)) == b"not a list"
    assert not r.exists(keys.active(Q))


# -- enqueue (§4.2) ----------------------------------------------------------------------------
def go_enqueue(broker, q: str, tid: str, msg: bytes, now_ns: int) -> int:
    """Go's enqueue.lua (§4.2) with Go's KEYS/ARGV, after its SADD asynq:queues (§4.1)."""
    broker.redis.sadd(keys.ALL_QUEUES, q)
    return int(broker.run("enqueue", [keys.task_key(q, tid), keys.pending(q)], [msg, tid, now_ns]))


def test_enqueue_notify_equals_enqueue(broker, r, clock):
    now_ns = int(clock.now() * 1e9)

    def build():
        put_pending(r, Q, ["old"])

    def single():
        return [go_enqueue(broker, Q, t, b"m-" + t.encode(), now_ns) for t in ["a", "old", "b"]]

    def notify():
        return [broker.create_task(NewTask(Q, t, b"m-" + t.encode())) for t in ["a", "old", "b"]]

    state, s, b = both(r, build, single, notify)
    assert s == b == [1, 0, 1]
    assert state[keys.task_key(Q, "a").encode()][1] == sorted(
        [(b"msg", b"m-a"), (b"state", b"pending"), (b"pending_since", str(now_ns).encode())]
    )
    assert state[keys.pending(Q).encode()][1] == [b"b", b"a", b"old"]
    assert state[keys.ALL_QUEUES.encode()][1] == [Q.encode()]


# -- hand-off to an idle worker (enqueue_notify.lua) ------------------------------------------
def offer(r, clock, worker: str = "W", *, lease: int = 30, ttl: float = 10.0) -> None:
    """An idle worker's registration, as ``WorkerOps.register_idle`` writes it."""
    r.zadd(keys.idle(Q), {f"{lease} {worker}": int((clock.now() + ttl) * 1000)})


@pytest.fixture
def listener(r):
    """A connection subscribed to worker W's hand-off channel (PUBLISH reaches someone)."""
    sub = r.pubsub(ignore_subscribe_messages=True)
    sub.subscribe(keys.HANDOFF_PREFIX + "W")
    yield sub
    sub.close()


def test_a_handed_off_task_equals_go_s_enqueue_then_dequeue(broker, r, clock, listener):
    """Handed to an idle worker, a task is written exactly as Go's enqueue.lua then
    dequeue.lua would leave it (leased for the worker's lease seconds), the offer is used up,
    and the worker gets "<lease expiry> <msg>"."""
    now_ns = int(clock.now() * 1e9)

    def build():
        offer(r, clock)

    def go():
        code = go_enqueue(broker, Q, "a", b"m-a", now_ns)
        assert broker.dequeue([Q]) is not None
        r.delete(keys.idle(Q))  # the hand-off used the offer; Go's path leaves it
        return code

    state, s, b = both(r, build, go, lambda: broker.create_task(NewTask(Q, "a", b"m-a")))
    assert (s, b) == (1, 2)
    assert state[keys.task_key(Q, "a").encode()][1] == [(b"msg", b"m-a"), (b"state", b"active")]
    assert state[keys.active(Q).encode()][1] == [b"a"]
    expiry = int(clock.now()) + 30
    assert state[keys.lease(Q).encode()][1] == [(b"a", float(expiry))]
    assert keys.pending(Q).encode() not in state
    got = None
    for _ in range(50):
        got = listener.get_message(timeout=0.1)
        if got:
            break
    assert got is not None and got["data"] == f"{expiry} ".encode() + b"m-a"


@pytest.mark.parametrize("why", ["paused", "older pending", "expired offer", "nobody listens"])
def test_no_hand_off_leaves_go_s_enqueue(broker, r, clock, listener, why):
    """Paused, an older task waiting, a stale offer, or no worker on the channel: the task is
    enqueued exactly as Go's enqueue.lua does (a dead worker's offer is dropped on the way)."""
    now_ns = int(clock.now() * 1e9)

    def build():
        if why == "paused":
            r.set(keys.paused(Q), "1")
        if why == "older pending":
            put_pending(r, Q, ["old"])
        offer(
            r,
            clock,
            "gone" if why == "nobody listens" else "W",
            ttl=-1 if why == "expired offer" else 10,
        )

    def go():
        code = go_enqueue(broker, Q, "a", b"m-a", now_ns)
        if why == "nobody listens":
            r.delete(keys.idle(Q))
        return code

    state, s, b = both(r, build, go, lambda: broker.create_task(NewTask(Q, "a", b"m-a")))
    assert s == b == 1
    assert state[keys.task_key(Q, "a").encode()][1][-1] == (b"state", b"pending")


def test_enqueue_batch_equals_one_enqueue_per_task(broker, r, clock):
    """Taken ids (already in Redis, or twice in the batch) answer 0 and write nothing, in
    order; several queues and chunks go through one ``create_tasks`` call."""
    now_ns = int(clock.now() * 1e9)
    tasks = [(Q, f"t{i}") for i in range(1200)] + [
        ("other", "o1"),
        (Q, "old"),
        (Q, "t5"),
        ("other", "o2"),
    ]

    def build():
        put_pending(r, Q, ["old"])

    def single():
        return [go_enqueue(broker, q, t, b"m-" + t.encode(), now_ns) for q, t in tasks]

    def batch():
        return broker.create_tasks([NewTask(q, t, b"m-" + t.encode()) for q, t in tasks])

    state, s, b = both(r, build, single, batch)
    assert s == b
    assert s[-4:] == [1, 0, 0, 1] and sum(s) == 1202
    assert len(state[keys.pending(Q).encode()][1]) == 1201
    assert state[keys.ALL_QUEUES.encode()][1] == [Q.encode(), b"other"]


def test_enqueue_batch_script_directly(broker, r, clock):
    """The script itself, one call, against enqueue.lua per pair (no client code between)."""
    now_ns = int(clock.now() * 1e9)
    pairs = [("a", b"1"), ("b", b"2"), ("a", b"3"), ("taken", b"4"), ("c", b""), ("str", b"5")]

    def build():
        r.hset(keys.task_key(Q, "taken"), "msg", b"x")
        r.set(keys.task_key(Q, "str"), b"not a hash")  # taken too, whatever its type

    def single():
        return [
            int(broker.run("enqueue", [keys.task_key(Q, t), keys.pending(Q)], [m, t, now_ns]))
            for t, m in pairs
        ]

    def batch():
        args: list[Any] = [keys.task_key_prefix(Q), now_ns, keys.WAKE_CHANNEL, Q]
        for t, m in pairs:
            args += [t, m]
        return [int(x) for x in broker.run("enqueue_batch", [keys.pending(Q)], args)]

    _, s, b = both(r, build, single, batch)
    assert s == b == [1, 1, 0, 0, 1, 0]
    _, s, b = both(r, lambda: None, single, batch)  # nothing taken but "a" twice
    assert s == b == [1, 1, 0, 1, 1, 1]
    unique = [("x", b"1"), ("y", b"2")]  # the usual batch: all new and distinct
    pairs[:] = unique
    _, s, b = both(r, lambda: None, single, batch)
    assert s == b == [1, 1]


def test_enqueue_batch_publishes_one_wake_up_only_when_something_was_added(broker, r, clock):
    sub = r.pubsub(ignore_subscribe_messages=True)
    sub.subscribe(keys.WAKE_CHANNEL)
    try:
        assert sub.get_message(timeout=1) is None
        broker.create_tasks([NewTask(Q, f"t{i}", b"m") for i in range(3)])
        broker.create_tasks([NewTask(Q, "t0", b"m")])  # taken: no wake-up
        got = []
        while (m := sub.get_message(timeout=0.3)) is not None:
            got.append(m["data"])
        assert got == [Q.encode()]
    finally:
        sub.close()


def test_enqueue_many_bulk_path_equals_general_path(redis_url, r, clock, monkeypatch):
    """Plain tasks take ``Client._enqueue_plain`` (ids in bulk, one encode loop, TaskInfos from
    a prototype); tasks with an option take the general path. Same ids in both: same Redis
    state and equal TaskInfos."""
    import itertools
    import uuid

    from pyasynq import Client, Task
    from pyasynq import producing as client_mod

    plain = [Task("a", b"x" * 200), Task("b"), Task("a", b"")] * 400

    def ids():
        counter = itertools.count()
        return lambda n=None: (
            [str(uuid.UUID(int=next(counter), version=4)) for _ in range(n)]
            if n is not None
            else str(uuid.UUID(int=next(counter), version=4))
        )

    def run(general: bool):
        gen = ids()
        monkeypatch.setattr(client_mod, "new_task_ids", gen)
        monkeypatch.setattr(client_mod, "new_task_id", gen)
        with Client(redis_url, clock=clock) as c:
            items = [(t, {"queue": "default"}) for t in plain] if general else list(plain)
            return c.enqueue_many(items)

    state, single, bulk = both(r, lambda: None, lambda: run(True), lambda: run(False))
    assert single == bulk and len(bulk) == 1200
    assert all(info.headers == {} for info in bulk) and bulk[0].headers is not bulk[1].headers
    assert len(state[keys.pending(Q).encode()][1]) == 1200


def test_new_task_ids_are_uuid4():
    import uuid

    from pyasynq.client import new_task_ids

    got = new_task_ids(500)
    assert len(set(got)) == 500
    for s in got:
        u = uuid.UUID(s)
        assert str(u) == s and u.version == 4 and u.variant == uuid.RFC_4122
