"""The servers page: live servers (ours and Go's) with their running tasks, linked to them."""

from __future__ import annotations

import re

from pyasynq import Inspector, ManualClock
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import encode, set_timestamp
from pyasynq.broker.proto import ServerInfo, WorkerInfo
from pyasynq.console import create_app
from tests.console.conftest import ROOT, assert_no_traceback, make_config
from tests.console.ops_support import running_server
from tests.support.go_captures import GO_DIR
from tests.support.loader import load_dump


def test_no_servers(client):
    html = client.get(f"{ROOT}/servers").get_data(as_text=True)
    assert "No servers found" in html
    assert 'href="/monitoring/servers" aria-current="page"' in html


def test_a_running_server_and_its_active_task(client, redis_url):
    with running_server(redis_url) as (server, task_id):
        html = client.get(f"{ROOT}/servers").get_data(as_text=True)
        block = re.search(
            rf'<article class="card server" data-server-id="{server.server_id}">(.*?)</article>',
            html,
            re.S,
        )
        assert block, html
        body = block.group(1)
        assert f"{server.host}:{server.pid}" in body
        assert server.server_id in body
        assert "badge-status-active" in body
        assert "0 / 4" not in body and "1 / 4" in body  # busy / concurrency
        assert re.search(
            r'data-queue="critical">critical</a>&nbsp;<span class="muted">6</span>', body
        )
        assert body.index('data-queue="critical"') < body.index(
            'data-queue="default"'
        )  # by priority
        assert "Strict priority</dt><dd>no" in body
        row = re.search(rf'<tr data-task-id="{task_id}">(.*?)</tr>', body, re.S).group(1)
        assert f'href="/monitoring/queues/critical/tasks/{task_id}"' in row
        assert "report:build" in row and "{&#34;user&#34;:42}" in row
        assert row.count("<time") == 2  # started and deadline
        # the link leads to the task page
        assert client.get(f"{ROOT}/queues/critical/tasks/{task_id}").status_code == 200
        frag = client.get(f"{ROOT}/_fragments/servers").get_data(as_text=True)
        assert frag.startswith('\n<section id="servers-body"') or 'id="servers-body"' in frag
        assert "data-poll" in frag and task_id in frag


def test_names_are_escaped(client, redis_url):
    broker = Broker(redis_url)
    info = ServerInfo(host="<b>h</b>", pid=1, server_id="s1", concurrency=2, status="active")
    info.queues.update({"<i>q</i>": 1})
    set_timestamp(info.start_time, broker.now() - 3600)
    w = WorkerInfo(
        host="<b>h</b>",
        pid=1,
        server_id="s1",
        task_id="t1",
        task_type="<script>x</script>",
        task_payload=b"<img src=x>",
        queue="<i>q</i>",
    )
    set_timestamp(w.start_time, broker.now())
    broker.write_server_state(
        "<b>h</b>", 1, "s1", encode(info), {"t1": encode(w)}, 60, now=broker.now()
    )
    html = client.get(f"{ROOT}/servers").get_data(as_text=True)
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<img src=x>" not in html
    assert "1h" in html  # uptime
    assert_no_traceback(html)
    broker.close()


def test_redis_down_is_503(dead_redis_url):
    app = create_app(make_config(dead_redis_url))
    resp = app.test_client().get(f"{ROOT}/servers")
    assert resp.status_code == 503
    assert_no_traceback(resp.get_data(as_text=True))


def test_go_servers_show_the_same_way(redis_url, r):
    import json

    captured_at = load_dump(r, json.loads((GO_DIR / "live.redis.json").read_text()))
    go = json.loads((GO_DIR / "live.inspect.json").read_text())
    insp = Inspector(redis_url, clock=ManualClock(captured_at))
    app = create_app(make_config(redis_url, record_throughput=False), inspector=insp)
    html = app.test_client().get(f"{ROOT}/servers").get_data(as_text=True)
    assert go["servers"], "the live capture has running Go servers"
    for s in go["servers"]:
        assert f'data-server-id="{s["id"]}"' in html
        assert f"{s['host']}:{s['pid']}" in html
        for w in s["active_workers"]:
            assert f'href="/monitoring/queues/{w["queue"]}/tasks/{w["task_id"]}"' in html
    insp.close()
