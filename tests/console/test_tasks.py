"""The task page: every field, payload/result views, formatters and allowed actions."""

from __future__ import annotations

import base64
import re
import time

import pytest

from pyasynq import Task
from pyasynq.console import create_app
from tests.console.conftest import ROOT, make_config
from tests.support.states import seed_task


def field(html: str, name: str) -> str:
    match = re.search(rf"<dt>{name}</dt><dd>(.*?)</dd>", html, re.S)
    assert match, name
    return re.sub(r"\s+", " ", match.group(1)).strip()


def test_every_field_is_shown(client, r):
    now = time.time()
    task_id = seed_task(
        r,
        "default",
        "retry",
        type="report:build",
        payload=b'{"id": 7, "name": "<b>x</b>"}',
        headers={"trace-id": "abc123", "tenant": "<acme>"},
        max_retry=9,
        retried=2,
        error="timeout talking to <db>",
        last_failed_at=int(now) - 30,
        timeout=90,
        deadline=int(now) + 7200,
        retention=600,
        group="g7",
        score=now + 300,
    )
    resp = client.get(f"{ROOT}/queues/default/tasks/{task_id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert task_id in field(html, "ID")
    assert field(html, "Type") == "report:build"
    assert "badge-retry" in field(html, "State")
    assert "default" in field(html, "Queue")
    assert field(html, "Group") == "g7"
    assert field(html, "Retries") == "2 / 9"
    assert "timeout talking to &lt;db&gt;" in field(html, "Last error")
    assert "ago" in field(html, "Last failed")
    assert "in 4m" in field(html, "Next run") or "in 5m" in field(html, "Next run")
    assert field(html, "Timeout") == "1m 30s"
    assert "in 1h" in field(html, "Deadline") or "in 2h" in field(html, "Deadline")
    assert field(html, "Retention") == "10m"
    assert "trace-id" in html and "abc123" in html and "&lt;acme&gt;" in html
    assert "&#34;name&#34;: &#34;&lt;b&gt;x&lt;/b&gt;&#34;" in html  # pretty JSON, escaped
    assert "<b>x</b>" not in html
    assert sorted(re.findall(r'/tasks/[^/"]+/(\w+)"', html)) == [
        "archive",
        "delete",
        "payload",
        "reschedule",
        "run",
    ]


def test_completed_task_shows_result_and_ttl(client, r):
    task_id = seed_task(r, "default", "completed", result=b"done: 42 rows", retention=3600)
    html = client.get(f"{ROOT}/queues/default/tasks/{task_id}").get_data(as_text=True)
    assert "done: 42 rows" in html
    assert "left" in field(html, "TTL")
    assert "ago" in field(html, "Completed")
    assert re.findall(r'/tasks/[^/"]+/(\w+)"', html) == ["delete"]


def test_orphaned_active_task(client, r):
    task_id = seed_task(r, "default", "active", lease_expiry=time.time() - 10)
    html = client.get(f"{ROOT}/queues/default/tasks/{task_id}").get_data(as_text=True)
    assert "orphaned" in field(html, "State")
    assert re.findall(r'/tasks/[^/"]+/(\w+)"', html) == []


def test_running_active_task_can_be_cancelled(client, r):
    task_id = seed_task(r, "default", "active")
    html = client.get(f"{ROOT}/queues/default/tasks/{task_id}").get_data(as_text=True)
    assert re.findall(r'/tasks/[^/"]+/(\w+)"', html) == ["cancel"]


def test_binary_payload_gets_hex_and_base64(client, r):
    data = bytes(range(256))
    task_id = seed_task(r, "default", "pending", payload=data)
    html = client.get(f"{ROOT}/queues/default/tasks/{task_id}").get_data(as_text=True)
    assert "binary data, 256 B" in html
    assert "00000000  00 01 02 03" in html
    assert base64.b64encode(data).decode() in html


def test_empty_payload_and_no_result(client, producer):
    info = producer.enqueue(Task("ping", b""), queue="default")
    html = client.get(f"{ROOT}/queues/default/tasks/{info.id}").get_data(as_text=True)
    assert "(empty)" in html and "none" in html


def test_user_formatters_replace_the_default(redis_url, r):
    task_id = seed_task(
        r, "default", "completed", type="img", payload=b"\x89PNG", result=b"\x01\x02"
    )
    config = make_config(
        redis_url,
        payload_formatter=lambda t, d: f"<{t} image of {len(d)} bytes>",
        result_formatter=lambda t, d: "result:" + d.hex(),
    )
    app = create_app(config)
    client = app.test_client()
    html = client.get(f"{ROOT}/queues/default/tasks/{task_id}").get_data(as_text=True)
    assert "&lt;img image of 4 bytes&gt;" in html
    assert "result:0102" in html
    listing = client.get(f"{ROOT}/queues/default?state=completed").get_data(as_text=True)
    assert "&lt;img image of 4 bytes&gt;" in listing and "result:0102" in listing


def test_unknown_task_is_404(client, producer):
    producer.enqueue(Task("a", b"{}"), queue="default")
    resp = client.get(f"{ROOT}/queues/default/tasks/nope")
    assert resp.status_code == 404
    assert "cannot find task with id=nope" in resp.get_data(as_text=True)
    assert client.get(f"{ROOT}/queues/zzz/tasks/nope").status_code == 404
    assert client.get(f"{ROOT}/_fragments/queues/default/tasks/nope").status_code == 404


@pytest.mark.parametrize("task_id", ["id with space", "ïd/ünïcode", "a~b"])
def test_odd_task_ids(client, producer, task_id):
    producer.enqueue(Task("a", b"{}"), queue="default", task_id=task_id)
    listing = client.get(f"{ROOT}/queues/default?state=pending").get_data(as_text=True)
    href = re.search(r'<td class="id"><a href="([^"]+)"', listing).group(1)
    html = client.get(href).get_data(as_text=True)
    assert task_id in field(html, "ID")


def test_task_fragment(client, r):
    task_id = seed_task(r, "default", "archived")
    html = client.get(f"{ROOT}/_fragments/queues/default/tasks/{task_id}").get_data(as_text=True)
    assert html.lstrip().startswith('<div id="task-body"') and "<html" not in html
