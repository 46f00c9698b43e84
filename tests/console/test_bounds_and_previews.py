"""Memory bounded by page size, input bounds, RFC 6266 export names and CSV neutralisation."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest

from pyasynq import Client, Task
from pyasynq.options import MAX_NAME_LENGTH
from tests.console.conftest import ROOT, assert_no_traceback
from tests.console.test_security import hx_token
from tests.support.states import seed_task

BIG = b'{"user": "ada", "blob": "' + b"y" * 2_000_000 + b'"}'


@pytest.fixture
def token(client) -> str:
    return hx_token(client.get(ROOT + "/").get_data(as_text=True))


# -- previews ----------------------------------------------------------------------------------


def test_list_page_and_list_api_carry_previews_not_payloads(client, r):
    for _ in range(5):
        seed_task(r, "big", "pending", payload=BIG, result=None)
    page = client.get(ROOT + "/queues/big?state=pending")
    assert page.status_code == 200 and len(page.get_data()) < 200_000
    assert "ada" in page.get_data(as_text=True)
    api = client.get(ROOT + "/api/queues/big/states/pending/tasks?size=10")
    assert len(api.get_data()) < 50_000
    tasks = api.get_json()["tasks"]
    assert len(tasks) == 5
    for t in tasks:
        assert t["payload_truncated"] and t["payload_size"] == len(BIG)
        assert len(t["payload"]) <= 800 and t["payload"].startswith('{"user": "ada"')


def test_task_page_and_api_cap_the_payload_and_offer_the_download(client, r):
    task_id = seed_task(r, "big", "archived", payload=BIG, result=b"\x00\x01" * 100_000)
    page = client.get(f"{ROOT}/queues/big/tasks/{task_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and len(page.get_data()) < 400_000
    assert "only the beginning is shown" in html and "Download the payload" in html
    assert "too large to edit here" in html
    api = client.get(f"{ROOT}/api/queues/big/tasks/{task_id}").get_json()
    assert api["payload_truncated"] and api["payload_size"] == len(BIG)
    assert api["result_truncated"] and api["result_size"] == 200_000
    download = client.get(api["payload_url"])
    assert download.status_code == 200 and download.get_data() == BIG
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    result = client.get(f"{ROOT}/queues/big/tasks/{task_id}/download/result")
    assert result.get_data() == b"\x00\x01" * 100_000
    missing = client.get(f"{ROOT}/queues/big/tasks/nope/download/payload")
    assert missing.status_code == 404


def test_small_payloads_are_shown_whole(client, r):
    task_id = seed_task(r, "small", "pending", payload=b'{"a": 1}')
    html = client.get(f"{ROOT}/queues/small/tasks/{task_id}").get_data(as_text=True)
    assert "only the beginning" not in html and "Edit payload" in html
    api = client.get(f"{ROOT}/api/queues/small/tasks/{task_id}").get_json()
    assert api["payload"] == '{"a": 1}' and not api["payload_truncated"]


# -- input bounds ------------------------------------------------------------------------------


def test_names_have_one_documented_maximum(redis_url, client, token):
    producer = Client(redis_url)
    with pytest.raises(ValueError, match=str(MAX_NAME_LENGTH)):
        producer.enqueue(Task("t"), queue="q" * (MAX_NAME_LENGTH + 1))
    with pytest.raises(ValueError, match=str(MAX_NAME_LENGTH)):
        Task("t" * (MAX_NAME_LENGTH + 1))
    assert producer.enqueue(Task("t" * MAX_NAME_LENGTH), queue="q" * MAX_NAME_LENGTH)
    producer.close()
    resp = client.post(
        ROOT + "/api/queues/q1/tasks",
        json={"type": "t" * 1000},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status_code == 400 and str(MAX_NAME_LENGTH) in resp.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"type": ["a"]}, "'type' must be a string"),
        ({"type": "a", "queue": {"x": 1}}, "'queue' must be a string"),
        ({"type": "a", "timeout": "1e400"}, "finite"),
        ({"type": "a", "retention": 10**12}, "100 years"),
        ({"type": "a", "max_retry": True}, "must be a number"),
        ({"type": "a", "process_at": "1e30"}, "year 9999"),
        ({"type": "a", "format": "json", "payload": "[" * 100_000}, "nested too deeply"),
    ],
)
def test_enqueue_fields_are_type_checked_and_bounded(client, token, body, fragment):
    resp = client.post(ROOT + "/api/queues/q1/tasks", json=body, headers={"X-CSRF-Token": token})
    assert resp.status_code == 400 and fragment in resp.get_json()["error"]["message"]


def test_hostile_bodies_answer_400_or_413_with_a_message(client, token):
    h = {"X-CSRF-Token": token}
    deep = client.post(
        ROOT + "/api/queues/q1/tasks",
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers=h,
    )
    assert deep.status_code == 400 and "nested too deeply" in deep.get_json()["error"]["message"]
    big = client.post(
        ROOT + "/api/queues/q1/tasks",
        data="x" * (3 * 1024 * 1024),
        content_type="application/json",
        headers=h,
    )
    assert big.status_code == 413 and "KiB" in big.get_json()["error"]["message"]
    form = client.post(ROOT + "/queues/q1/pause", data={"csrf_token": token, "x": "y" * 3_000_000})
    assert form.status_code == 413
    assert_no_traceback(form.get_data(as_text=True))
    nested = client.post(
        ROOT + "/api/queues/q1/states/pending/bulk",
        json={"action": "delete", "type": {"a": [1]}},
        headers=h,
    )
    assert nested.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/queues/q1?state=pending&page=99999999999999999999999",
        "/queues/q1?state=pending&type=x&cursor=99999999999999999999999",
        "/api/queues/q1/states/pending/tasks?cursor=99999999999999999999999",
        "/api/queues/q1/states/pending/tasks?since=1e300",
        "/api/queues/q1/states/pending/tasks?until=nan",
        "/audit?page=99999999999999999999",
    ],
)
def test_page_cursor_and_time_parameters_are_bounded(client, producer, url):
    producer.enqueue(Task("t"), queue="q1")
    resp = client.get(ROOT + url)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert_no_traceback(resp.get_data(as_text=True))


def test_control_characters_in_next_are_refused(client, producer, token):
    producer.enqueue(Task("t"), queue="q1")
    resp = client.post(
        ROOT + "/queues/q1/pause",
        data={"csrf_token": token, "next": ROOT + "/x\r\nSet-Cookie: a=b"},
    )
    assert resp.status_code == 303
    assert "\n" not in resp.headers["Location"] and "Set-Cookie" not in resp.headers["Location"]
    assert "a=b" not in resp.headers.get("Set-Cookie", "")


# -- exports -----------------------------------------------------------------------------------


def test_export_names_follow_rfc_6266_and_csv_cells_are_neutralised(client, r):
    queue = 'Очередь "x"/ü'
    for payload in (b"=HYPERLINK(1)", b"+1", b"-2", b"@SUM(A1)", b"\tx", b"\rx", b"plain"):
        seed_task(r, queue, "pending", payload=payload)
    resp = client.get(ROOT + "/queues/" + queue.replace("/", "~2F") + "/pending/export.csv")
    assert resp.status_code == 200
    disposition = resp.headers["Content-Disposition"]
    disposition.encode("latin-1")  # a valid header value
    assert 'filename="' in disposition and "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == queue + "-pending.csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    payloads = sorted(row["payload"] for row in rows)
    assert payloads == sorted(
        ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "plain"]
    )


def test_cli_enqueue_refuses_overlong_names(redis_url):
    from click.testing import CliRunner

    from pyasynq.cli import main

    runner = CliRunner()
    for args in (["--type", "t" * 300, "--queue", "q"], ["--type", "t", "--queue", "q" * 300]):
        result = runner.invoke(main, ["task", "enqueue", *args, "--redis-url", redis_url])
        assert result.exit_code == 1, result.output
        assert str(MAX_NAME_LENGTH) in result.output + (result.stderr or "")


def test_longer_names_written_by_another_producer_stay_readable(client, r):
    queue = "q" * (MAX_NAME_LENGTH + 45)  # as a Go producer, which has no limit, may write
    task_id = seed_task(r, queue, "pending", type="t" * 400)
    page = client.get(f"{ROOT}/queues/{queue}?state=pending")
    assert page.status_code == 200 and task_id[:8] in page.get_data(as_text=True)
    assert client.get(f"{ROOT}/queues/{queue}/tasks/{task_id}").status_code == 200
