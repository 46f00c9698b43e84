"""What a worker logs: failed attempts and their next step, handler not found, start-up, one line
per Redis outage and recovery, JSON lines; and the worker CLI's options and refusals."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from pyasynq import Client, ServeMux, SkipRetry, Task
from pyasynq.cli.worker import command as worker_command
from pyasynq.worker_log import FIELDS, JsonFormatter
from tests.support.redis_server import RedisServer
from tests.support.worker_util import fast_server, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _warnings(caplog, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if (getattr(r, FIELDS, None) or {}).get("event") == event]


def test_each_failed_attempt_is_one_warning_with_its_next_step(redis_url, caplog):
    caplog.set_level(logging.INFO)
    mux = ServeMux()

    @mux.handle("flaky")
    def flaky(ctx, task):
        raise RuntimeError("smtp timeout")

    @mux.handle("bad")
    def bad(ctx, task):
        raise SkipRetry("no such user")

    client = Client(redis_url)
    flaky_id = client.enqueue(Task("flaky"), max_retry=1).id
    bad_id = client.enqueue(Task("bad"), max_retry=5).id
    missing_id = client.enqueue(Task("nobody:home"), max_retry=3).id
    client.enqueue(Task("nobody:home"), max_retry=3)
    server = fast_server(redis_url, retry_delay_func=lambda n, e, t: 0.2)
    server.start(mux)
    try:
        wait_for(lambda: len(_warnings(caplog, "task_failed")) >= 5, what="5 failure lines")
        wait_for(
            lambda: any(
                getattr(r, FIELDS)["task_id"] == flaky_id
                and getattr(r, FIELDS)["outcome"] == "archived"
                for r in _warnings(caplog, "task_failed")
            ),
            what="the flaky task archived",
        )
    finally:
        server.shutdown()
    lines = {
        (f["task_id"], f["attempt"]): (r, f)
        for r in _warnings(caplog, "task_failed")
        for f in [getattr(r, FIELDS)]
    }
    first, f1 = lines[(flaky_id, 1)]
    assert first.levelno == logging.WARNING
    assert f1["max_attempts"] == 2 and f1["outcome"] == "retry" and f1["queue"] == "default"
    assert "task failed: flaky id=" + flaky_id in first.getMessage()
    assert "attempt 1 of 2: smtp timeout -> retry at " in first.getMessage()
    second, f2 = lines[(flaky_id, 2)]
    assert f2["outcome"] == "archived" and "archived, retries exhausted" in second.getMessage()
    skipped, f3 = lines[(bad_id, 1)]
    assert f3["outcome"] == "skipped_retry"
    assert "attempt 1 of 6: no such user -> archived, retry skipped" in skipped.getMessage()
    _, f4 = lines[(missing_id, 1)]
    assert f4["error"] == 'handler not found for task "nobody:home"'
    not_found = _warnings(caplog, "handler_not_found")
    assert len(not_found) == 1 and not_found[0].levelno == logging.ERROR  # once per task type
    started = _warnings(caplog, "worker_started")
    assert len(started) == 1
    assert getattr(started[0], FIELDS)["concurrency"] == server.concurrency
    assert "redis redis://127.0.0.1:" in started[0].getMessage()


def test_a_redis_outage_is_one_line_down_and_one_line_back(caplog):
    caplog.set_level(logging.DEBUG)
    redis = RedisServer().start()
    port = redis.port
    server = fast_server(redis.url, throughput_interval=0.1, recoverer_interval=0.1)
    mux = ServeMux()
    mux.handle_func("x", lambda ctx, task: None)
    server.start(mux)
    try:
        wait_for(lambda: server.subscriber.ready.is_set(), what="subscribed")
        redis.stop()

        def sources_still_failing() -> set[str]:
            return {
                r.getMessage().split(":")[0]
                for r in caplog.records
                if "Redis still unreachable" in r.getMessage()
            }

        # several components (fetcher, heartbeat, forwarder, ...) noticed, more than once each
        wait_for(lambda: len(sources_still_failing()) >= 3, what="three components failing")
        down = [r for r in caplog.records if "Redis unreachable at" in r.getMessage()]
        assert len(down) == 1 and down[0].levelno == logging.WARNING
        assert not [
            r
            for r in caplog.records
            if r.levelno >= logging.WARNING and r is not down[0] and "Redis" not in r.getMessage()
        ]
        redis = RedisServer(port=port).start()
        wait_for(
            lambda: any("Redis reachable again" in r.getMessage() for r in caplog.records),
            what="the recovery line",
        )
        wait_for(lambda: server.heartbeat.runs > 0 and server.subscriber.ready.is_set())
    finally:
        server.shutdown()
        redis.cleanup()
    assert sum("Redis unreachable at" in r.getMessage() for r in caplog.records) == 1
    assert sum("Redis reachable again" in r.getMessage() for r in caplog.records) == 1


def test_json_lines_carry_the_event_fields():
    record = logging.LogRecord("pyasynq.server", logging.WARNING, __file__, 1, "x %s", ("y",), None)
    setattr(record, FIELDS, {"event": "task_failed", "attempt": 2, "retry_at": None})
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "x y" and data["level"] == "WARNING" and data["attempt"] == 2
    assert data["event"] == "task_failed" and "retry_at" not in data and data["pid"] > 0


@pytest.mark.parametrize(
    "args, says",
    [
        (["--log-level", "loud"], "--log-level"),
        (["--log-format", "xml"], "--log-format"),
        (["--concurrency", "0"], "--concurrency"),
        (["--processes", "0"], "--processes"),
        (["--shutdown-timeout", "soon"], "--shutdown-timeout"),
        (["--shutdown-timeout", "-1"], "--shutdown-timeout"),
        (["--group-grace-period", "0.5"], "--group-grace-period"),
        (["--group-max-size", "2.5"], "--group-max-size"),
        (["--retry-delay", "42"], "--retry-delay"),
        (["--retry-delay", "tests.support.worker_log_handlers:nope"], "--retry-delay"),
        (["--error-handler", "tests.support.worker_log_handlers:GRACE"], "--error-handler"),
        (["--lease-duration", "3", "--heartbeat-interval", "5"], "lease_duration"),
    ],
)
def test_invalid_option_values_are_usage_errors(args, says):
    result = CliRunner().invoke(
        worker_command,
        ["tests.support.worker_log_handlers:mux", "--redis-url", "redis://127.0.0.1:1/0", *args],
    )
    assert result.exit_code == 2, result.output
    assert says in result.output


def test_worker_cli_sets_server_options_and_logs_json(redis_url, r, tmp_path):
    errors = tmp_path / "errors.log"
    client = Client(redis_url)
    task_id = client.enqueue(Task("boom"), max_retry=3).id
    client.enqueue(Task("hopeless"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pyasynq.cli",
            "worker",
            "tests.support.worker_log_handlers:mux",
            "--redis-url",
            redis_url,
            "--concurrency",
            "2",
            "--queues",
            "default=2,low=1",
            "--log-format",
            "json",
            "--retry-delay",
            "tests.support.worker_log_handlers:retry_delay",
            "--error-handler",
            "tests.support.worker_log_handlers:error_handler",
            "--group-aggregator",
            "tests.support.worker_log_handlers:aggregate",
            "--group-grace-period",
            "tests.support.worker_log_handlers:GRACE",
            "--shutdown-timeout",
            "2s",
            "--task-check-interval",
            "0.1",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT, "ERROR_LOG": str(errors)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: errors.exists() and len(errors.read_text().splitlines()) >= 2,
            timeout=20,
            what="the error handler called twice",
        )
        client.enqueue(Task("boom", b"a"), group="g1")
        client.enqueue(Task("boom", b"b"), group="g1")
        wait_for(
            lambda: len(errors.read_text().splitlines()) >= 3,
            timeout=20,
            what="the aggregated task processed (after the 2 s grace period)",
        )
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(events) == len(err.splitlines()), err  # every line is one JSON object
    started = [e for e in events if e.get("event") == "worker_started"]
    assert started and started[0]["queues"] == {"default": 2, "low": 1}
    assert started[0]["concurrency"] == 2 and started[0]["processes"] == 1
    failed = next(e for e in events if e.get("task_id") == task_id)
    assert failed["level"] == "WARNING" and failed["outcome"] == "retry"
    assert failed["attempt"] == 1 and failed["max_attempts"] == 4
    retry_at = time.mktime(time.strptime(failed["retry_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert abs(retry_at - (time.time() + 1000)) < 60  # the --retry-delay function's 1000 s
    assert any(e.get("outcome") == "skipped_retry" for e in events)
    assert sorted(errors.read_text().splitlines())[:2] == ["boom kaboom", "boom kaboom"]


@pytest.mark.parametrize(
    "kwargs", [{"concurrency": -2}, {"concurrency": True}, {"janitor_batch_size": 0}]
)
def test_server_refuses_nonsense_settings(kwargs):
    from pyasynq import Server

    with pytest.raises(ValueError):
        Server("redis://127.0.0.1:1/0", **kwargs)
