"""A hostile Redis (issue 15): many kinds of bad data beside good queues, and every reader,
every action and a running worker still serve the good data and name the bad.

The data comes from ``tests/faults/hostile.py``. Console routes are read from the app's own URL
map (a route added later is covered too), CLI commands from the click group. "Cannot reach
Redis" (503, exit 3) must never appear: Redis is up, only some of its data is bad.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from typing import Any
from urllib.parse import quote

import click
import pytest
from click.testing import CliRunner
from werkzeug.routing import AnyConverter

from pyasynq import Client, Inspector, ServeMux, Server, Task
from pyasynq.broker import keys
from pyasynq.cli import main as cli
from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig
from tests.console.conftest import assert_no_traceback
from tests.faults import isolation
from tests.faults.hostile import BAD_COUNTERS, BAD_TASKS, BAD_TIMES, Planted, plant
from tests.support.worker_util import wait_for

ROOT = "/monitoring"
BAD_TASK_IDS = [
    "pending-undecodable",
    "pending-no-msg",
    "pending-other-id",
    "pending-other-queue",
    "string-hash",
    "odd-state",
    "no-hash",
    "scheduled-undecodable",
    "archived-undecodable",
]
FAR_TASK_IDS = ["scheduled-far", "retry-far", "archived-far", "completed-far", "pending-far"]
SKIP_ENDPOINTS = {"static", "api.not_found", "api.not_found_write", "auth.login", "auth.logout"}
counted: dict[str, Any] = {"requests": 0, "cli": 0, "tasks": 0, "started": None}


@pytest.fixture
def planted(redis_url) -> Planted:
    counted["started"] = counted["started"] or time.monotonic()
    p = plant(redis_url)
    counted["tasks"] = max(counted["tasks"], sum(len(t) for t in p.good_tasks.values()))
    return p


@pytest.fixture
def console(redis_url):
    app = create_app(ConsoleConfig(redis_url=redis_url, secret_key="t", poll_interval=0))
    app.logger.setLevel(logging.CRITICAL)
    client = app.test_client()
    yield app, client
    app.extensions["pyasynq"].close()


def bad_queue_names(p: Planted) -> list[str]:
    return [*p.bad_queues, BAD_TASKS, BAD_TIMES, BAD_COUNTERS, "q" * 5000, "a\nb", "\x00nul"]


def _states_of(queue: str) -> set[str]:
    kind = queue.removeprefix("wrongtype-")
    return {
        "pending",
        "archived",
        {"group": "aggregating", "groups": "aggregating"}.get(kind, kind),
    }


def _choices(p: Planted, rule: Any, queues: list[str], good: bool) -> list[dict[str, Any]]:
    """Every combination of path values for one rule (queue, state, format, task, entry)."""
    options: dict[str, list[Any]] = {}
    for arg, conv in rule._converters.items():
        if isinstance(conv, AnyConverter):
            options[arg] = list(conv.items)
        elif arg == "queue":
            options[arg] = queues
        elif arg == "entry_id":
            options[arg] = [p.entry_id] if good else ["far-entry", "far-entry-2", "none"]
        elif arg == "task_id":
            options[arg] = [None]
        elif arg == "workflow_id":
            options[arg] = [p.workflow_id] if good else ["no-such-workflow"]
        else:  # a new kind of path value: give it something so the route is still tried
            options[arg] = ["x"]
    out = []
    for combo in itertools.product(*options.values()):
        values = dict(zip(options, combo, strict=True))
        if not good and "state" in values and values["state"] not in _states_of(values["queue"]):
            continue  # bad queues: the state whose key is bad, and pending (keeps it fast)
        if "task_id" not in values:
            out.append(values)
            continue
        q = values["queue"]
        if q in p.good_tasks:
            ids = list(p.good_tasks[q].values())
        elif q == BAD_TASKS:
            ids = BAD_TASK_IDS
        elif q == BAD_TIMES:
            ids = FAR_TASK_IDS
        else:
            ids = ["x"]
        out += [{**values, "task_id": tid} for tid in ids]
    return out


def _urls(
    app: Any, p: Planted, method: str, queues: list[str], good: bool = False
) -> list[tuple[str, str, dict]]:
    adapter = app.url_map.bind("localhost", script_name=ROOT)
    out = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
            continue
        for values in _choices(p, rule, queues, good):
            out.append((rule.endpoint, adapter.build(rule.endpoint, values), values))
    return out


def _body(resp: Any) -> str:
    return resp.get_data(as_text=True)


def test_every_page_and_api_route_serves_the_good_data(planted, console):
    """GET on every route with good values: 200 with the good data in it."""
    app, client = console
    seen = 0
    for endpoint, url, values in _urls(app, planted, "GET", planted.good_queues, good=True):
        if endpoint == "queues.goto":
            url += "?id=" + quote(planted.good_tasks[values["queue"]]["pending"])
        elif values.get("state") == "aggregating":
            url += "?group=g1"
        resp = client.get(url)
        seen += 1
        body = _body(resp)
        if resp.status_code == 404 and '"not_configured"' in body:
            continue  # e.g. /api/metrics without a Prometheus: says so, as Asynqmon does
        assert resp.status_code in (200, 301, 302, 303), (url, resp.status_code, body[:300])
        assert_no_traceback(body)
        downloads = "download" in endpoint  # the raw bytes of a payload or result, no page
        if (
            "task_id" in values
            and endpoint.startswith(("tasks.", "api.get_task"))
            and not downloads
        ):
            assert values["task_id"] in body, url
        elif "queue" in values and endpoint in ("queues.show", "api.queue_info"):
            assert values["queue"] in body, url
    counted["requests"] += seen
    dashboard = _body(client.get(f"{ROOT}/"))
    for q in planted.good_queues:
        assert f'data-queue="{q}"' in dashboard
    # the bad queues are named, with what is wrong, above the table of the others
    assert 'id="bad-queues"' in dashboard
    for q in planted.bad_queues:
        assert q in dashboard
    assert "holds a string, not a list" in dashboard and "not an integer counter" in dashboard
    assert "not UTF-8" in dashboard and "blank queue name" in dashboard
    api = {q["queue"]: q for q in client.get(f"{ROOT}/api/queues").get_json()["queues"]}
    assert api["default"]["pending"] >= 1 and api["default"]["problems"] == []
    assert api["wrongtype-pending"]["problems"] and api[BAD_COUNTERS]["problems"]
    metrics = _body(client.get(f"{ROOT}/metrics"))
    assert 'asynq_queue_size{queue="default"}' in metrics and "asynq_up 1.0" in metrics
    assert 'pyasynq_bad_data_records{queue="wrongtype-pending",source="queue"}' in metrics
    servers = _body(client.get(f"{ROOT}/servers"))
    assert "goodhost" in servers and "data-bad-data" in servers
    assert "undecodable" in servers and "WRONGTYPE" in servers
    schedulers = _body(client.get(f"{ROOT}/schedulers"))
    assert planted.entry_id in schedulers and "data-bad-data" in schedulers
    assert "invalid time" in schedulers  # far-entry's next run, 2^62 s


def test_pages_of_bad_data_name_it_and_never_500_or_503(planted, console):
    """GET on every route with bad values: never a 5xx; a bad queue's page still renders and
    says which key is bad; a bad task's page says what is wrong with it."""
    app, client = console
    seen = 0
    for endpoint, url, _values in _urls(app, planted, "GET", bad_queue_names(planted)):
        if endpoint == "queues.goto":
            url += "?id=x"
        resp = client.get(url)
        seen += 1
        body = _body(resp)
        assert resp.status_code < 500, (url, resp.status_code, body[:400])
        assert resp.status_code in (200, 301, 303, 400, 404, 422), (url, resp.status_code)
        assert_no_traceback(body)
        if resp.status_code == 422:
            assert "cannot read" in body or "bad_data" in body, url
    counted["requests"] += seen
    for q in planted.bad_queues:
        page = client.get(f"{ROOT}/queues/{q}")
        assert page.status_code == 200, q
        assert 'id="bad-data"' in _body(page) and "holds a" in _body(page), q
    page = _body(client.get(f"{ROOT}/queues/{BAD_TASKS}?state=pending&size=100"))
    assert 'id="undecodable"' in page
    for tid, why in (
        ("pending-undecodable", "cannot be decoded"),
        ("string-hash", "holds a string"),
        ("no-hash", "no task hash"),
        ("pending-other-id", "another task"),
    ):
        assert tid in page and why in page, (tid, why)
    far = client.get(f"{ROOT}/queues/{BAD_TIMES}/tasks/scheduled-far")
    assert far.status_code == 200 and "invalid time" in _body(far)
    assert "invalid duration" in _body(far)
    api_far = client.get(f"{ROOT}/api/queues/{BAD_TIMES}/tasks/completed-far").get_json()
    assert api_far["deadline"].startswith("invalid time")
    bad_task = client.get(f"{ROOT}/api/queues/{BAD_TASKS}/tasks/string-hash")
    assert bad_task.status_code == 422 and bad_task.get_json()["error"]["code"] == "bad_data"


def test_actions_on_bad_data_never_500_or_503(planted, console):
    """Every POST route against bad queues and bad tasks: refused or done, never 5xx."""
    app, client = console
    html = _body(client.get(f"{ROOT}/settings"))
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', html).group(1)  # type: ignore[union-attr]
    seen = 0
    # one queue per kind of bad data (every wrong-type key is read the same way)
    bad = ["wrongtype-pending", "wrongtype-scheduled", "wrongtype-lease", "wrongtype-group"]
    bad += [BAD_TASKS, BAD_TIMES, BAD_COUNTERS]
    for endpoint, url, values in _urls(app, planted, "POST", bad):
        data = {"csrf_token": token, "ids": "pending-undecodable", "confirmed": "1"}
        if endpoint == "edit.enqueue":
            data.update(queue=values.get("queue", BAD_TASKS), type="t", payload="{}")
        resp = client.post(url, data=data, headers={"X-CSRF-Token": token})
        seen += 1
        assert resp.status_code < 500, (url, resp.status_code, _body(resp)[:400])
        assert_no_traceback(_body(resp))
    counted["requests"] += seen
    # the good queues were not touched by any of it
    insp = Inspector(app.extensions["pyasynq"].redis_url)
    try:
        assert insp.get_task_info("default", planted.good_tasks["default"]["pending"])
    finally:
        insp.close()


def _leaf_commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple, Any]]:
    out = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _leaf_commands(cmd, (*path, name))
        else:
            out.append(((*path, name), cmd))
    return out


# serving processes, and the terminal dashboard (it refuses to run without a terminal)
LONG_RUNNING = {("console",), ("demo",), ("exporter",), ("worker",), ("scheduler",), ("dash",)}
DESTRUCTIVE = {"pause", "unpause", "remove", "run", "archive", "delete", "runall"}
DESTRUCTIVE |= {"archiveall", "deleteall", "cancel", "enqueue", "rm", "resume"}


def _args(cmd: Any, values: dict[str, str]) -> list[str] | None:
    """Command-line arguments filling each parameter we have a value for; None when a
    required one has none."""
    synonyms = {
        "queues": "queue",
        "task_ids": "task_id",
        "entry_ids": "entry_id",
        "task_type": "type",
    }
    args: list[str] = []
    for param in cmd.params:
        if param.name in ("redis_url", "uri", "db", "password"):
            continue
        value = values.get(param.name) or values.get(synonyms.get(param.name, ""))
        if value is None:
            if param.required:
                return None
            continue
        if isinstance(param, click.Argument):
            args.append(value)
        else:
            args += [param.opts[0], value]
    return args


def test_every_cli_command_serves_the_good_data(planted, redis_url, tmp_path):
    runner = CliRunner()
    env = {"REDIS_URL": redis_url}
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - {kind: archived_above, queue: default, n: 1000}\n"
        "  - {kind: latency_above, queue: wrongtype-pending, seconds: 60}\n"
    )
    good = {
        "queue": "default",
        "task_id": planted.good_tasks["default"]["retry"],
        "state": "retry",
        "entry_id": planted.entry_id,
        "group": "g1",
        "type": "hostile:new",
        "rules_file": str(rules),
        "name": "hostile-limit",
        "workflow_id": planted.workflow_id,
        "rate": "1000/s",
    }
    bad = {
        **good,
        "queue": BAD_TASKS,
        "task_id": "string-hash",
        "state": "pending",
        "entry_id": "far-entry",
    }
    # what a reader shows of the bad data, before the walk below changes any of it
    stats = runner.invoke(cli, ["stats"], env=env)
    assert stats.exit_code == 0 and "default" in stats.output
    assert "warning: bad data in Redis" in stats.output and "wrongtype-pending" in stats.output
    listing = runner.invoke(
        cli, ["task", "ls", "--queue", BAD_TASKS, "--state", "pending"], env=env
    )
    assert listing.exit_code == 0 and "string-hash" in listing.output
    inspect = runner.invoke(
        cli, ["task", "inspect", "--queue", BAD_TASKS, "--id", "string-hash"], env=env
    )
    assert inspect.exit_code == 1 and "bad data in Redis" in inspect.output
    far = runner.invoke(
        cli, ["task", "inspect", "--queue", BAD_TIMES, "--id", "scheduled-far"], env=env
    )
    assert far.exit_code == 0 and "invalid" in far.output, far.output
    tried = 0
    commands = [(p, c) for p, c in _leaf_commands(cli) if p not in LONG_RUNNING]
    assert len(commands) >= 15, [p for p, _ in commands]
    for path, cmd in commands:
        if path == ("console-hash-password",):
            continue
        extra = ["--once"] if path == ("alerts",) else []
        if path == ("task", "wait"):  # the good task is waiting in retry: do not wait 30 s
            extra = ["--timeout", "0"]
        for values, is_good in ((good, True), (bad, False)):
            if path[-1] in DESTRUCTIVE and is_good:
                continue  # keep the good data; destructive commands run on the bad queue
            args = _args(cmd, values)
            assert args is not None, path
            result = runner.invoke(cli, [*path, *args, *extra], env=env)
            tried += 1
            out = result.output
            assert "Traceback" not in out, (path, out)
            assert result.exit_code != 3, (path, args, out)  # Redis is up
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                path,
                repr(result.exception),
            )
            if is_good:
                timed_out = path == ("task", "wait") and result.exit_code == 5
                assert result.exit_code == 0 or timed_out, (path, args, out)
    counted["cli"] += tried


def test_cli_says_cannot_reach_redis_only_when_it_cannot():
    result = CliRunner().invoke(cli, ["stats"], env={"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.exit_code == 3 and "cannot reach Redis" in result.output


def test_a_running_worker_serves_good_queues_and_archives_unreadable_tasks(planted, redis_url, r):
    """A worker serving every good and bad queue: the good tasks run, each unreadable task is
    archived with the reason (on dequeue, and by the recoverer for the one found in active),
    nothing is left in active without a lease, and the bad queues are skipped, not fatal."""
    ran: list[str] = []
    mux = ServeMux()
    mux.handle("good:", lambda ctx, task: ran.append(task.id))
    mux.handle("huge", lambda ctx, task: ran.append(task.id))
    # bad queues first: the forwarder and janitor go through them before the good ones
    queues = {q: 1 for q in [*planted.bad_queues, BAD_TASKS, BAD_TIMES, *planted.good_queues]}
    client = Client(redis_url)
    due = client.enqueue(Task("good:due", b"{}"), queue="good", process_in=1).id
    client.close()
    server = Server(
        redis_url,
        concurrency=4,
        queues=queues,
        task_check_interval=0.1,
        tick=0.05,
        recoverer_interval=0.2,
        delayed_task_check_interval=0.2,
        lease_cutoff=0,
        shutdown_timeout=2,
        heartbeat_interval=1,
        lease_duration=3,
        logger=logging.getLogger("pyasynq.hostile"),
    )
    logging.getLogger("pyasynq.hostile").setLevel(logging.CRITICAL)
    want = {planted.good_tasks[q]["pending"] for q in planted.good_queues}
    want |= {planted.huge_task, due}  # due: forwarded from scheduled after the bad queues
    server.start(mux)
    try:
        wait_for(lambda: want <= set(ran), timeout=20, what="the good pending tasks ran")

        def settled() -> bool:
            left = {x.decode() for x in r.lrange(keys.active(BAD_TASKS), 0, -1)}
            pending = r.llen(keys.pending(BAD_TASKS))
            return not left and pending == 0

        wait_for(settled, timeout=20, what="bad-tasks' pending and active queues settled")
    finally:
        server.shutdown()
    insp = Inspector(redis_url)
    try:
        archived = {t.id: t for t in insp.list_archived_tasks(BAD_TASKS, page_size=100)}
        for tid in ("pending-undecodable", "pending-no-msg", "pending-other-id", "no-hash"):
            assert tid in archived, tid
            assert "cannot be run" in archived[tid].last_err, archived[tid].last_err
        assert "decoded" in archived["pending-undecodable"].last_err
        assert "active-undecodable" in archived  # found by the recoverer, lease long expired
        assert "active-unleased" in archived  # in active without any lease: recovered too
        raw = r.hget(keys.task_key(BAD_TASKS, "pending-undecodable"), "pyasynq_unreadable_msg")
        assert raw == b"\xff\x00 not protobuf"  # the original bytes are kept
        assert r.type(keys.task_key(BAD_TASKS, "string-hash")) == b"string"  # not ours to touch
        faults = server.processor.queue_faults if server.processor else None
        assert faults is not None and faults.failures >= 1
    finally:
        insp.close()


def test_one_bad_queue_does_not_slow_the_others(redis_url, report):
    """Issue 15's measure: a worker serving ``default`` and a queue whose ``pending`` is a
    string keeps ``default``'s rate (before the fix: ~10-20 tasks/s instead of ~3,000)."""
    tasks = 600
    control = isolation.measure(redis_url, tasks, bad=False)
    with_bad = isolation.measure(redis_url, tasks, bad=True)
    assert with_bad["processed"] == tasks, with_bad
    ratio = with_bad["rate"] / control["rate"]
    assert ratio > 0.3, (control, with_bad)
    report(
        scenario="one bad queue beside default (worker rate)",
        tasks=2 * tasks,
        kills=0,
        outages=0,
        inputs=0,
        lost=0,
        run_twice=0,
        default_rate_alone=f"{control['rate']}/s",
        default_rate_beside_bad_queue=f"{with_bad['rate']}/s",
        ratio=round(ratio, 2),
    )


def test_report_hostile_figures(report):
    report(
        scenario="hostile Redis: bad data beside good queues (console, API, CLI, worker)",
        tasks=counted["tasks"],
        kills=0,
        outages=0,
        inputs=counted["requests"] + counted["cli"],
        lost=0,
        run_twice=0,
        console_requests=counted["requests"],
        cli_invocations=counted["cli"],
        duration=round(time.monotonic() - (counted["started"] or time.monotonic()), 1),
    )


def test_global_keys_of_the_wrong_type(redis_url, r, console):
    """asynq:queues, asynq:servers, asynq:workers and asynq:schedulers themselves of the wrong
    type: every page still answers (naming the key), none says Redis is unreachable."""
    r.set(keys.ALL_QUEUES, "x")
    r.set(keys.ALL_SERVERS, "x")
    r.set(keys.ALL_WORKERS, "x")
    r.hset(keys.ALL_SCHEDULERS, "a", "b")
    app, client = console
    for path in ("/", "/servers", "/schedulers", "/api/queues", "/metrics", "/api/servers"):
        resp = client.get(ROOT + path)
        body = _body(resp)
        assert resp.status_code in (200, 422), (path, resp.status_code)
        assert_no_traceback(body)
        if resp.status_code == 422:
            assert keys.ALL_QUEUES in body, (path, body[:300])
    assert "asynq_up 1.0" in _body(client.get(f"{ROOT}/metrics"))
    servers = _body(client.get(f"{ROOT}/servers"))
    assert keys.ALL_SERVERS in servers and "data-bad-data" in servers
    result = CliRunner().invoke(cli, ["queue", "ls"], env={"REDIS_URL": redis_url})
    assert result.exit_code == 1 and keys.ALL_QUEUES in result.output, result.output
    data = json.loads(_body(client.get(f"{ROOT}/api/queues")))
    assert data["error"]["code"] == "bad_data"


def test_a_bad_queue_is_benched_with_backoff_and_logged_once_a_minute(clock, caplog):
    """QueueFaults: 1 s, 2 s, 4 s ... up to a minute while it keeps failing; one log line a
    minute per queue however often it fails; other queues are never benched."""
    from pyasynq.errors import BadDataError
    from pyasynq.queue_faults import QueueFaults

    log = logging.getLogger("pyasynq.test-queue-faults")
    faults = QueueFaults(clock, log)
    err = BadDataError("WRONGTYPE the pending key holds a string", queue="bad")
    with caplog.at_level(logging.ERROR, logger=log.name):
        pauses = []
        for _ in range(9):
            assert faults.usable(["bad", "default"]) == ["bad", "default"]
            faults.failed("bad", err)
            assert faults.usable(["bad", "default"]) == ["default"]
            pauses.append(round(faults.benched()["bad"] - clock.now()))
            clock.advance(pauses[-1])
    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    logged = [r for r in caplog.records if "queue 'bad' skipped" in r.getMessage()]
    assert (
        len(logged) == 4
    )  # failures at 0, 1, 3, 7, 15, 31, 63, 123, 183 s: logged at 0, 63, 123, 183
    assert "more failures since the last report" in logged[1].getMessage()
    clock.advance(10 * 60)
    faults.forget_recovered()
    assert faults.benched() == {} and faults.usable(["bad"]) == ["bad"]


def test_dequeue_leaves_a_bad_queue_as_it_was(redis_url, r):
    """The type checks come first: a queue whose lease is a string keeps its pending task
    (Go's script would move it to active and fail, leaving it there without a lease)."""
    from pyasynq import Client, Task
    from pyasynq.broker.broker import Broker
    from pyasynq.errors import BadDataError

    client = Client(redis_url)
    tid = client.enqueue(Task("t"), queue="q").id
    ok = client.enqueue(Task("t"), queue="fine").id
    client.close()
    r.set(keys.lease("q"), "x")
    broker = Broker(redis_url)
    try:
        errors: dict[str, BadDataError] = {}
        got = broker.dequeue_batch(["q", "fine"], 10, queue_errors=errors)
        assert [t.task_id for t in got] == [ok]
        assert "lease key holds a string" in str(errors["q"]) and errors["q"].queue == "q"
        assert r.lrange(keys.pending("q"), 0, -1) == [tid.encode()]
        assert r.llen(keys.active("q")) == 0
        with pytest.raises(BadDataError):
            broker.dequeue_many(["q"], 1)
    finally:
        broker.close()


def test_a_counter_that_is_not_a_number_does_not_undo_acknowledgements(redis_url, r):
    """done_many with processed counters of "nan": every task is still acknowledged (Go's
    done.lua would fail after removing the first one, and the rest would run again)."""
    from pyasynq import Client, Task
    from pyasynq.broker.broker import Broker

    client = Client(redis_url)
    ids = [client.enqueue(Task("t"), queue="nan-q").id for _ in range(3)]
    client.close()
    r.set(keys.processed_total("nan-q"), "nan")
    broker = Broker(redis_url)
    try:
        got = broker.dequeue_batch(["nan-q"], 3)
        assert sorted(t.task_id for t in got) == sorted(ids)
        assert broker.done_many("nan-q", [(tid, "") for tid in ids]) == [True, True, True]
        assert r.llen(keys.active("nan-q")) == 0 and r.zcard(keys.lease("nan-q")) == 0
        assert r.get(keys.processed_total("nan-q")) == b"nan"  # left as it was, not "fixed"
    finally:
        broker.close()
