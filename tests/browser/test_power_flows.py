"""Power flows in a real browser: filter, bulk-delete the filtered set, enqueue, edit a payload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pyasynq.broker.codec import decode_task
from tests.support.states import seed_task, state_of

pytestmark = pytest.mark.browser


def test_filter_then_bulk_delete_matches_with_progress(page, live_console, r):
    drop = [
        seed_task(r, "default", "retry", type="email:send", error="smtp timeout") for _ in range(4)
    ]
    keep = [seed_task(r, "default", "retry", type="sms:send", error="other") for _ in range(3)]
    page.goto(live_console + "/queues/default?state=retry")
    page.locator("details[data-filter-bar] summary").click()
    page.locator('#filter-form input[name="error"]').fill("smtp")
    page.locator("#filter-form").get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"error=smtp"))
    expect(page.locator("tr[data-task-id]")).to_have_count(4)
    expect(page.locator("[data-search-progress]")).to_contain_text("4 matches")
    page.get_by_role("button", name="Delete all matches").click()
    expect(page.locator("#confirm-title")).to_contain_text("Delete every matching retry task?")
    expect(page.locator(".confirm-count")).to_contain_text("4 retry tasks match")
    page.locator("#confirm-button").click()
    expect(page.locator('#bulk-progress[data-finished="1"]')).to_be_visible()
    expect(page.locator(".bulk-message")).to_contain_text("Deleted 4 tasks")
    assert all(state_of(r, "default", t) is None for t in drop)
    assert all(state_of(r, "default", t) == "retry" for t in keep)
    page.locator("#bulk-back").click()
    expect(page.locator("tr[data-task-id]")).to_have_count(0)


def test_enqueue_from_the_form_then_edit_its_payload(page, live_console, r):
    seed_task(r, "default", "pending")
    page.goto(live_console + "/queues/default")
    page.get_by_role("link", name="Enqueue task").click()
    form = page.locator("#enqueue-form")
    form.locator('input[name="type"]').fill("report:build")
    form.locator('textarea[name="payload"]').fill('{"month": 5}')
    form.locator('input[name="process_in"]').fill("3600")
    form.get_by_role("button", name="Enqueue").click()
    expect(page.locator(".flash-success")).to_contain_text("Enqueued task")
    task_id = page.url.rsplit("/", 1)[1]
    assert state_of(r, "default", task_id) == "scheduled"
    page.locator("details[data-edit-payload] summary").click()
    page.locator('#payload-form textarea[name="payload"]').fill('{"month": 6}')
    page.locator("#payload-form").get_by_role("button", name="Save payload").click()
    expect(page.locator(".flash-success")).to_contain_text("Saved the new payload")
    msg = decode_task(r.hget(f"asynq:{{default}}:t:{task_id}", "msg"))
    assert msg.payload == b'{"month": 6}'
    expect(page.locator(".data-json")).to_contain_text('"month": 6')
