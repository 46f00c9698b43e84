"""CSV and JSON exports: same filters as the list, streamed, bounded by export_limit."""

from __future__ import annotations

import csv
import io
import json

from pyasynq import Client, Task
from pyasynq.console import create_app
from tests.console.conftest import ROOT, make_config
from tests.support.states import seed_task


def test_csv_export_with_filter(client, r):
    a = seed_task(r, "q", "archived", type="email", payload=b'{"n": "a,\\"b\\""}', error="smtp")
    seed_task(r, "q", "archived", type="sms")
    resp = client.get(f"{ROOT}/queues/q/archived/export.csv?type=email")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.is_streamed
    assert 'filename="q-archived.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [row["id"] for row in rows] == [a]
    assert rows[0]["payload"] == '{"n": "a,\\"b\\""}' and rows[0]["last_err"] == "smtp"


def test_json_export_reports_the_cursor(client, r):
    for _ in range(3):
        seed_task(r, "q", "pending", payload=b"\xff\x00")
    doc = json.loads(client.get(f"{ROOT}/queues/q/pending/export.json").get_data(as_text=True))
    assert doc["count"] == 3 and doc["next_cursor"] is None and doc["scanned"] == 3
    assert doc["tasks"][0]["payload"] is None and doc["tasks"][0]["payload_b64"] == "/wA="


def test_export_limit_and_scan_chunks(redis_url, r):
    with Client(redis_url) as c:
        c.enqueue_many([Task("t", str(i).encode()) for i in range(250)])
    app = create_app(make_config(redis_url, export_limit=100, scan_limit=40))
    client = app.test_client()
    doc = json.loads(
        client.get(f"{ROOT}/queues/default/pending/export.json").get_data(as_text=True)
    )
    assert doc["count"] == 100 and doc.get("truncated") is True
    rows = (
        client.get(f"{ROOT}/queues/default/pending/export.csv").get_data(as_text=True).splitlines()
    )
    assert len(rows) == 101
    app.extensions["pyasynq"].close()


def test_export_errors(client, r):
    assert client.get(f"{ROOT}/queues/nope/pending/export.csv").status_code == 404
    seed_task(r, "q", "pending")
    assert client.get(f"{ROOT}/queues/q/pending/export.json?since=1").status_code == 400
    assert client.get(f"{ROOT}/queues/q/pending/export.xml").status_code == 404
