"""The one model of task states (pyasynq.states) and the generic Inspector API built on it."""

from __future__ import annotations

import pytest

from pyasynq import Client, Inspector, Task
from pyasynq.broker import keys
from pyasynq.errors import TaskStateError
from pyasynq.states import MODELS, ROW_ACTIONS, STATES, TaskState, allowed, model
from tests.support.states import seed_many, state_of

GO_ORDER = ("active", "pending", "aggregating", "scheduled", "retry", "archived", "completed")

ALIASES = {  # Go's names -> (state, action) of Inspector.bulk
    "run_all_scheduled_tasks": ("scheduled", "run"),
    "run_all_retry_tasks": ("retry", "run"),
    "run_all_archived_tasks": ("archived", "run"),
    "archive_all_pending_tasks": ("pending", "archive"),
    "archive_all_scheduled_tasks": ("scheduled", "archive"),
    "archive_all_retry_tasks": ("retry", "archive"),
    "delete_all_pending_tasks": ("pending", "delete"),
    "delete_all_scheduled_tasks": ("scheduled", "delete"),
    "delete_all_retry_tasks": ("retry", "delete"),
    "delete_all_archived_tasks": ("archived", "delete"),
    "delete_all_completed_tasks": ("completed", "delete"),
}


def test_states_are_gos_seven_in_display_order_with_asynqmons_actions():
    assert STATES == GO_ORDER == tuple(s.value for s in TaskState)
    assert [m.order for m in MODELS.values()] == list(range(7))
    assert ROW_ACTIONS == {
        "active": ("cancel",),
        "pending": ("archive", "delete"),
        "aggregating": ("run", "archive", "delete"),
        "scheduled": ("run", "archive", "delete"),
        "retry": ("run", "archive", "delete"),
        "archived": ("run", "delete"),
        "completed": ("delete",),
    }
    assert allowed("archived", "run") and not allowed("pending", "run")
    assert not allowed("bogus", "run")
    with pytest.raises(ValueError, match="state must be one of active, pending"):
        model("bogus")


def test_the_broker_picks_the_container_the_model_documents():
    for name, m in MODELS.items():
        key, kind = keys.state_container("q", name, "g1")
        assert key == m.key.replace("<qname>", "q").replace("<group>", "g1")
        assert kind == m.container
    with pytest.raises(ValueError, match="give group"):
        keys.state_container("q", "aggregating")


def test_list_tasks_is_what_gos_named_listings_return(r, redis_url):
    insp = Inspector(redis_url)
    for state in ("pending", "active", "scheduled", "retry", "archived", "completed"):
        seed_many(r, "q", state, 3)
        generic = insp.list_tasks("q", state, page_size=2, page=2)
        named = getattr(insp, f"list_{state}_tasks")("q", page_size=2, page=2)
        assert [t.id for t in generic] == [t.id for t in named] and len(generic) == 1
        assert all(t.state == state for t in generic)
    seed_many(r, "q", "aggregating", 2, group="g1")
    assert len(insp.list_tasks("q", "aggregating", group="g1")) == 2
    with pytest.raises(ValueError, match="give group"):
        insp.list_tasks("q", "aggregating")
    newest = insp.list_tasks("q", "completed", newest_first=True)
    assert [t.id for t in newest] == [t.id for t in reversed(insp.list_completed_tasks("q"))]
    insp.close()


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_gos_bulk_names_are_aliases_of_bulk(r, redis_url, alias):
    state, action = ALIASES[alias]
    insp = Inspector(redis_url)
    ids = seed_many(r, "q", state, 2)
    assert getattr(insp, alias)("q") == 2
    after = {"run": "pending", "archive": "archived", "delete": None}[action]
    assert [state_of(r, "q", t) for t in ids] == [after, after]
    seed_many(r, "q", state, 3)
    assert insp.bulk("q", state, action) == 3
    insp.close()


def test_bulk_refuses_what_the_model_does_not_allow(r, redis_url):
    insp = Inspector(redis_url)
    seed_many(r, "q", "pending", 1)
    with pytest.raises(TaskStateError, match="pending tasks allow: archive, delete"):
        insp.bulk("q", "pending", "run")
    with pytest.raises(ValueError, match="state must be one of"):
        insp.bulk("q", "bogus", "delete")
    ids = seed_many(r, "q", "aggregating", 2, group="g1")
    assert insp.bulk("q", TaskState.AGGREGATING, "archive", group="g1") == 2
    assert {state_of(r, "q", t) for t in ids} == {"archived"}
    insp.close()


def test_bulk_cancel_signals_every_active_task(r, redis_url):
    insp = Inspector(redis_url)
    ids = seed_many(r, "q", "active", 3)
    pubsub = r.pubsub()
    pubsub.subscribe(keys.CANCEL_CHANNEL)
    assert pubsub.get_message(timeout=1)["type"] == "subscribe"
    assert insp.bulk("q", "active", "cancel") == 3
    got = {pubsub.get_message(timeout=1)["data"].decode() for _ in ids}
    assert got == set(ids)
    pubsub.close()
    insp.close()


def test_selected_rows_report_each_failure(redis_url):
    client = Client(redis_url)
    insp = Inspector(redis_url)
    ids = [client.enqueue(Task("t", str(i)), queue="q", process_in=60).id for i in range(3)]
    result = insp.archive_tasks("q", [*ids, "missing"])
    assert result.done == 3 and list(result.errors) == ["missing"]
    client.close()
    insp.close()
