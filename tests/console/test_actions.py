"""Every state change: CSRF, PRG with a flash, confirmations with counts, and state rules."""

from __future__ import annotations

import pytest

from pyasynq import Task
from tests.console.conftest import ROOT
from tests.support.states import seed_many, seed_task, state_of


def follow(client, resp):
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    return client.get(resp.headers["Location"]).get_data(as_text=True)


# -- CSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [{}, {"csrf_token": "wrong"}])
def test_post_without_a_valid_token_is_refused(client, csrf, producer, data):
    producer.enqueue(Task("a", b"{}"), queue="default")
    resp = client.post(f"{ROOT}/queues/default/pause", data=data)
    assert resp.status_code == 400
    assert "security token" in resp.get_data(as_text=True)
    assert "badge-running" in client.get(f"{ROOT}/").get_data(as_text=True)


def test_token_in_header_works_for_htmx(client, csrf, producer):
    producer.enqueue(Task("a", b"{}"), queue="default")
    resp = client.post(f"{ROOT}/queues/default/pause", headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 303


def test_page_token_is_accepted(client, producer):
    from tests.console.conftest import token_in

    producer.enqueue(Task("a", b"{}"), queue="default")
    token = token_in(client.get(f"{ROOT}/").get_data(as_text=True))
    assert (
        client.post(f"{ROOT}/queues/default/pause", data={"csrf_token": token}).status_code == 303
    )


# -- queues ------------------------------------------------------------------------------------


def test_pause_and_resume(client, csrf, producer, r):
    producer.enqueue(Task("a", b"{}"), queue="default")
    html = follow(client, client.post(f"{ROOT}/queues/default/pause", data={"csrf_token": csrf}))
    assert "Paused queue &#34;default&#34;" in html
    assert r.exists("asynq:{default}:paused")
    html = follow(client, client.post(f"{ROOT}/queues/default/pause", data={"csrf_token": csrf}))
    assert "already paused" in html
    html = follow(client, client.post(f"{ROOT}/queues/default/unpause", data={"csrf_token": csrf}))
    assert "Resumed queue" in html
    assert not r.exists("asynq:{default}:paused")


def test_pause_unknown_queue_is_404(client, csrf, r):
    assert client.post(f"{ROOT}/queues/nope/pause", data={"csrf_token": csrf}).status_code == 404
    assert not r.exists("asynq:{nope}:paused")


def test_pause_redirects_to_next_inside_console_only(client, csrf, producer):
    producer.enqueue(Task("a", b"{}"), queue="default")
    resp = client.post(
        f"{ROOT}/queues/default/pause",
        data={"csrf_token": csrf, "next": f"{ROOT}/queues/default?state=pending"},
    )
    assert resp.headers["Location"] == f"{ROOT}/queues/default?state=pending"
    resp = client.post(
        f"{ROOT}/queues/default/unpause", data={"csrf_token": csrf, "next": "https://evil.example/"}
    )
    assert resp.headers["Location"] == f"{ROOT}/"


def test_delete_empty_queue_asks_then_deletes(client, csrf, producer, r):
    info = producer.enqueue(Task("a", b"{}"), queue="empty")
    r.delete("asynq:{empty}:pending", f"asynq:{{empty}}:t:{info.id}")
    resp = client.post(f"{ROOT}/queues/empty/delete", data={"csrf_token": csrf})
    assert resp.status_code == 200
    assert "is empty" in resp.get_data(as_text=True)
    assert r.sismember("asynq:queues", "empty")
    html = follow(
        client,
        client.post(f"{ROOT}/queues/empty/delete", data={"csrf_token": csrf, "confirmed": "1"}),
    )
    assert "Deleted queue &#34;empty&#34;" in html
    assert not r.sismember("asynq:queues", "empty")


def test_delete_non_empty_queue_needs_force(client, csrf, r):
    seed_many(r, "busy", "pending", 2)
    seed_task(r, "busy", "archived")
    html = client.post(f"{ROOT}/queues/busy/delete", data={"csrf_token": csrf}).get_data(
        as_text=True
    )
    assert "is not empty" in html
    assert 'data-count="3"' in html and "2 pending, 1 archived" in html
    assert 'name="force"' in html
    html = follow(
        client,
        client.post(f"{ROOT}/queues/busy/delete", data={"csrf_token": csrf, "confirmed": "1"}),
    )
    assert "is not empty" in html
    assert r.sismember("asynq:queues", "busy")
    html = follow(
        client,
        client.post(
            f"{ROOT}/queues/busy/delete", data={"csrf_token": csrf, "confirmed": "1", "force": "1"}
        ),
    )
    assert "Deleted queue &#34;busy&#34;" in html
    assert not r.sismember("asynq:queues", "busy")


def test_delete_queue_with_active_tasks_is_refused_clearly(client, csrf, r):
    seed_task(r, "busy", "active")
    html = follow(
        client,
        client.post(
            f"{ROOT}/queues/busy/delete", data={"csrf_token": csrf, "confirmed": "1", "force": "1"}
        ),
    )
    assert "active tasks" in html
    assert r.sismember("asynq:queues", "busy")


# -- one task ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, action, after",
    [
        ("retry", "archive", "archived"),
        ("retry", "run", "pending"),
        ("archived", "run", "pending"),
        ("scheduled", "run", "pending"),
        ("pending", "archive", "archived"),
        ("retry", "delete", None),
        ("completed", "delete", None),
    ],
)
def test_task_actions(client, csrf, r, state, action, after):
    task_id = seed_task(r, "default", state)
    resp = client.post(f"{ROOT}/queues/default/tasks/{task_id}/{action}", data={"csrf_token": csrf})
    html = follow(client, resp)
    assert task_id in html
    assert state_of(r, "default", task_id) == after


def test_cancel_active_task_publishes(client, csrf, r):
    task_id = seed_task(r, "default", "active")
    pubsub = r.pubsub()
    pubsub.subscribe("asynq:cancel")
    pubsub.get_message(timeout=1)
    html = follow(
        client,
        client.post(f"{ROOT}/queues/default/tasks/{task_id}/cancel", data={"csrf_token": csrf}),
    )
    assert "Sent a cancel signal" in html
    message = pubsub.get_message(timeout=2)
    assert message and message["data"].decode() == task_id
    pubsub.close()


@pytest.mark.parametrize(
    "state, action",
    [
        ("active", "archive"),
        ("active", "delete"),
        ("pending", "run"),
        ("completed", "run"),
        ("archived", "archive"),
        ("retry", "cancel"),
    ],
)
def test_actions_the_state_forbids(client, csrf, r, state, action):
    task_id = seed_task(r, "default", state)
    html = follow(
        client,
        client.post(f"{ROOT}/queues/default/tasks/{task_id}/{action}", data={"csrf_token": csrf}),
    )
    assert f"Cannot {action} task {task_id}" in html
    assert state_of(r, "default", task_id) == state


def test_action_on_a_vanished_task(client, csrf, producer):
    producer.enqueue(Task("a", b"{}"), queue="default")
    html = follow(
        client, client.post(f"{ROOT}/queues/default/tasks/gone/delete", data={"csrf_token": csrf})
    )
    assert "no longer exists" in html


def test_unknown_verb_is_404(client, csrf, r):
    task_id = seed_task(r, "default", "retry")
    assert (
        client.post(
            f"{ROOT}/queues/default/tasks/{task_id}/explode", data={"csrf_token": csrf}
        ).status_code
        == 404
    )


def test_delete_from_the_task_page_goes_back_to_the_queue(client, csrf, r):
    task_id = seed_task(r, "default", "retry")
    page = f"{ROOT}/queues/default/tasks/{task_id}"
    resp = client.post(f"{page}/delete", data={"csrf_token": csrf, "next": page})
    assert resp.headers["Location"] == f"{ROOT}/queues/default?state=retry"


# -- selected rows -----------------------------------------------------------------------------


def test_batch_asks_with_the_count_then_acts(client, csrf, r):
    ids = seed_many(r, "default", "pending", 5)
    chosen = ids[:3]
    url = f"{ROOT}/queues/default/pending/batch"
    resp = client.post(url, data={"csrf_token": csrf, "action": "delete", "ids": chosen})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Delete 3 selected pending tasks of queue &#34;default&#34;?" in html
    assert 'data-count="3"' in html
    assert all(state_of(r, "default", i) == "pending" for i in ids)
    html = follow(
        client,
        client.post(
            url, data={"csrf_token": csrf, "action": "delete", "ids": chosen, "confirmed": "1"}
        ),
    )
    assert "Deleted 3 tasks" in html
    assert [state_of(r, "default", i) for i in ids] == [None, None, None, "pending", "pending"]


def test_batch_archive_and_run(client, csrf, r):
    ids = seed_many(r, "default", "retry", 3)
    html = follow(
        client,
        client.post(
            f"{ROOT}/queues/default/retry/batch",
            data={"csrf_token": csrf, "action": "archive", "ids": ids, "confirmed": "1"},
        ),
    )
    assert "Archived 3 tasks" in html
    html = follow(
        client,
        client.post(
            f"{ROOT}/queues/default/archived/batch",
            data={"csrf_token": csrf, "action": "run", "ids": ids[:2], "confirmed": "1"},
        ),
    )
    assert "Ran 2 tasks" in html
    assert [state_of(r, "default", i) for i in ids] == ["pending", "pending", "archived"]


def test_batch_reports_partial_failures(client, csrf, r):
    ids = seed_many(r, "default", "retry", 2)
    html = follow(
        client,
        client.post(
            f"{ROOT}/queues/default/retry/batch",
            data={
                "csrf_token": csrf,
                "action": "archive",
                "ids": [*ids, "missing-id"],
                "confirmed": "1",
            },
        ),
    )
    assert "Archived 2 tasks; 1 task failed" in html
    assert "missing-id" in html


def test_batch_cancel(client, csrf, r):
    ids = seed_many(r, "default", "active", 2)
    html = follow(
        client,
        client.post(
            f"{ROOT}/queues/default/active/batch",
            data={"csrf_token": csrf, "action": "cancel", "ids": ids, "confirmed": "1"},
        ),
    )
    assert "Sent a cancel signal to 2 tasks" in html


def test_batch_rules(client, csrf, r):
    ids = seed_many(r, "default", "completed", 1)
    resp = client.post(
        f"{ROOT}/queues/default/completed/batch",
        data={"csrf_token": csrf, "action": "run", "ids": ids},
    )
    assert resp.status_code == 400
    html = follow(
        client,
        client.post(
            f"{ROOT}/queues/default/completed/batch", data={"csrf_token": csrf, "action": "delete"}
        ),
    )
    assert "Select at least one task" in html
    assert (
        client.post(
            f"{ROOT}/queues/nope/pending/batch",
            data={"csrf_token": csrf, "action": "delete", "ids": ["x"]},
        ).status_code
        == 404
    )


# -- all tasks in a state ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, verb, message, left",
    [
        ("retry", "run-all", "Ran 4 tasks", 0),
        ("retry", "archive-all", "Archived 4 tasks", 0),
        ("retry", "delete-all", "Deleted 4 tasks", 0),
        ("scheduled", "run-all", "Ran 4 tasks", 0),
        ("archived", "delete-all", "Deleted 4 tasks", 0),
        ("pending", "archive-all", "Archived 4 tasks", 0),
        ("completed", "delete-all", "Deleted 4 tasks", 0),
    ],
)
def test_state_all(client, csrf, r, state, verb, message, left):
    seed_many(r, "default", state, 4)
    url = f"{ROOT}/queues/default/{state}/{verb}"
    html = client.post(url, data={"csrf_token": csrf}).get_data(as_text=True)
    assert f"all 4 {state} tasks of queue" in html
    html = follow(client, client.post(url, data={"csrf_token": csrf, "confirmed": "1"}))
    assert message in html
    key = f"asynq:{{default}}:{state}"
    assert (r.llen(key) if state == "pending" else r.zcard(key)) == left


def test_state_all_aggregating_needs_a_group(client, csrf, producer):
    for g in ("a", "a", "b"):
        producer.enqueue(Task("agg", b"{}"), queue="default", group=g)
    assert (
        client.post(
            f"{ROOT}/queues/default/aggregating/run-all", data={"csrf_token": csrf}
        ).status_code
        == 400
    )
    html = client.post(
        f"{ROOT}/queues/default/aggregating/run-all?group=a", data={"csrf_token": csrf}
    ).get_data(as_text=True)
    assert "all 2 aggregating tasks in group &#34;a&#34;" in html
    html = follow(
        client,
        client.post(
            f"{ROOT}/queues/default/aggregating/run-all",
            data={"csrf_token": csrf, "group": "a", "confirmed": "1"},
        ),
    )
    assert "Ran 2 tasks" in html


def test_cancel_all_active(client, csrf, r):
    seed_many(r, "default", "active", 3)
    html = follow(
        client,
        client.post(
            f"{ROOT}/queues/default/active/cancel-all", data={"csrf_token": csrf, "confirmed": "1"}
        ),
    )
    assert "Sent a cancel signal to 3 tasks" in html


@pytest.mark.parametrize(
    "state, verb",
    [
        ("active", "delete-all"),
        ("completed", "run-all"),
        ("archived", "archive-all"),
        ("pending", "run-all"),
    ],
)
def test_state_all_rules(client, csrf, r, state, verb):
    seed_task(r, "default", state)
    resp = client.post(
        f"{ROOT}/queues/default/{state}/{verb}", data={"csrf_token": csrf, "confirmed": "1"}
    )
    assert resp.status_code == 400
