"""AlertManager with a real Redis and a real loopback HTTP webhook (including a retry after 500)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pyasynq.extras.alerts import (
    AlertManager,
    ArchivedAbove,
    FailedRateAbove,
    LatencyAbove,
    NoServerAlive,
    PausedLongerThan,
    load_config,
    rule_from_dict,
)
from pyasynq.inspector import Inspector
from tests.support.states import seed_task


class Hook:
    """A webhook on 127.0.0.1 that answers the queued statuses (then 200) and keeps bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.statuses: list[int] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = hook.statuses.pop(0) if hook.statuses else 200
                hook.bodies.append(
                    {
                        "status": status,
                        "json": json.loads(body),
                        "type": self.headers["Content-Type"],
                    }
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.close()


@pytest.fixture
def insp(redis_url):
    i = Inspector(redis_url)
    yield i
    i.close()


def test_fires_once_resolves_and_records(insp, r, hook, clock):
    seed_task(r, "q", "archived")
    mgr = AlertManager(
        insp, [ArchivedAbove("q", 1)], hook.url, clock=clock.now, sleep=lambda s: None
    )
    assert mgr.check_once() == []
    seed_task(r, "q", "archived")
    (event,) = mgr.check_once()
    assert event["status"] == "firing" and event["rule"] == "archived_above(queue=q,n=1)"
    assert mgr.check_once() == []  # still firing: not sent again
    assert [b["json"]["status"] for b in hook.bodies] == ["firing"]
    assert hook.bodies[0]["type"] == "application/json"
    r.delete("asynq:{q}:archived")
    (resolved,) = mgr.check_once()
    assert resolved["status"] == "resolved"
    stored = [json.loads(x) for x in r.lrange("pyasynq:alerts:events", 0, -1)]
    assert [e["status"] for e in stored] == ["resolved", "firing"] and stored[1][
        "delivered"
    ] is True


def test_retry_after_500(insp, r, hook, clock):
    hook.statuses = [500, 503]
    sleeps = []
    mgr = AlertManager(
        insp, [NoServerAlive()], hook.url, clock=clock.now, sleep=sleeps.append, backoff=0.1
    )
    (event,) = mgr.check_once()
    assert [b["status"] for b in hook.bodies] == [500, 503, 200]
    assert sleeps == [0.1, 0.2] and event["delivered"] is True


def test_gives_up_after_retries_and_on_4xx(insp, hook, clock):
    hook.statuses = [500] * 10
    mgr = AlertManager(
        insp, [NoServerAlive()], hook.url, clock=clock.now, sleep=lambda s: None, retries=2
    )
    assert mgr.check_once()[0]["delivered"] is False and len(hook.bodies) == 3
    hook.statuses, hook.bodies = [404], []
    assert mgr.send({"x": 1}) is False and len(hook.bodies) == 1


def test_other_rules(insp, r, clock, redis_url):
    from pyasynq import Client, Task

    with Client(redis_url) as c:
        c.enqueue(Task("t"), queue="q")
    r.hset(
        "asynq:{q}:t:" + r.lrange("asynq:{q}:pending", 0, -1)[0].decode(),
        "pending_since",
        str(int((clock.now() - 120) * 1e9)),
    )
    assert (
        LatencyAbove("q", 60).evaluate(insp, clock.now()).firing is False
    )  # Inspector uses the system clock
    r.set("asynq:{q}:paused", int(clock.now()) - 600)
    assert PausedLongerThan("q", 300).evaluate(insp, clock.now()).firing is True
    assert PausedLongerThan("q", 900).evaluate(insp, clock.now()).firing is False
    assert PausedLongerThan("nope", 1).evaluate(insp, clock.now()).firing is False
    assert ArchivedAbove("nope", 0).evaluate(insp, clock.now()).firing is False
    assert FailedRateAbove("q", 0.1).evaluate(insp, clock.now()).firing is False
    assert NoServerAlive().evaluate(insp, clock.now()).firing is True


def test_load_rules_from_yaml_and_json(tmp_path):
    y = tmp_path / "rules.yaml"
    y.write_text(
        "webhook: http://127.0.0.1:9/x\ninterval: 5\nrules:\n  - {kind: archived_above, queue: q, n: 3}\n  - {kind: no_server_alive}\n"
    )
    cfg = load_config(y)
    assert cfg.webhook == "http://127.0.0.1:9/x" and cfg.interval == 5
    assert cfg.rules == [ArchivedAbove("q", 3), NoServerAlive()]
    j = tmp_path / "rules.json"
    j.write_text(json.dumps([{"kind": "latency_above", "queue": "q", "seconds": 30}]))
    assert load_config(j).rules == [LatencyAbove("q", 30)]
    with pytest.raises(ValueError, match="unknown alert rule"):
        rule_from_dict({"kind": "nope"})
    with pytest.raises(ValueError):
        rule_from_dict({"kind": "archived_above", "q": 1})


def test_background_thread_and_cli(redis_url, r, hook, tmp_path):
    from click.testing import CliRunner

    from pyasynq.cli import main

    seed_task(r, "q", "archived")
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {kind: archived_above, queue: q, n: 0}\n")
    result = CliRunner().invoke(
        main,
        [
            "alerts",
            "--rules",
            str(rules),
            "--webhook",
            hook.url,
            "--once",
            "--redis-url",
            redis_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["status"] == "firing"
    assert hook.bodies[0]["json"]["rule"] == "archived_above(queue=q,n=0)"
    mgr = AlertManager(redis_url, [NoServerAlive()], hook.url, interval=0.05).start()
    try:
        import time

        deadline = time.time() + 5
        while len(hook.bodies) < 2 and time.time() < deadline:
            time.sleep(0.02)
    finally:
        mgr.close()
    assert hook.bodies[1]["json"]["rule"] == "no_server_alive"


def test_console_page_and_api(redis_url, r, hook, tmp_path):
    from pyasynq.console import create_app
    from tests.console.conftest import ROOT, make_config

    seed_task(r, "q", "archived")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        f"webhook: {hook.url}\ninterval: 0.05\nrules:\n  - {{kind: archived_above, queue: q, n: 0}}\n"
    )
    app = create_app(make_config(redis_url, alerts_file=str(rules)))
    try:
        import time

        deadline = time.time() + 5
        while not hook.bodies and time.time() < deadline:
            time.sleep(0.02)
        client = app.test_client()
        html = client.get(f"{ROOT}/alerts").get_data(as_text=True)
        assert 'data-rule="archived_above(queue=q,n=0)"' in html and "firing" in html
        assert 'data-status="firing"' in html
        doc = client.get(f"{ROOT}/api/alerts").get_json()
        assert (
            doc["checking"] and doc["rules"][0]["firing"] and doc["events"][0]["status"] == "firing"
        )
    finally:
        app.extensions["pyasynq_alerts"].close()
        app.extensions["pyasynq"].close()
