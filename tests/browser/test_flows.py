"""The console's main flows in a real browser, against a real Redis filled by our Client."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from pyasynq import Task
from tests.support.states import seed_many, seed_task, state_of

pytestmark = pytest.mark.browser


@pytest.fixture
def filled(redis_url, r):
    from pyasynq import Client

    with Client(redis_url) as client:
        for i in range(4):
            client.enqueue(Task("email:send", f'{{"n": {i}}}'.encode()), queue="default")
        client.enqueue(Task("report", b"{}"), queue="critical", process_in=3600)
    return {
        "retry": seed_task(r, "default", "retry", error="smtp timeout"),
        "archived": seed_task(r, "default", "archived"),
    }


def test_dashboard_shows_queues_and_charts(page, live_console, filled):
    page.goto(live_console + "/")
    expect(page.locator('tr[data-queue="default"]')).to_be_visible()
    expect(page.locator('tr[data-queue="critical"]')).to_be_visible()
    # Chart.js (vendored) drew both charts from the JSON data block.
    page.wait_for_function(
        "() => window.Chart && Chart.getChart('chart-sizes') && Chart.getChart('chart-processed')"
    )
    labels = page.evaluate("() => Chart.getChart('chart-sizes').data.labels")
    assert labels == ["critical", "default"]
    page.get_by_role("link", name="Last 30 days").click()
    page.wait_for_function(
        "() => Chart.getChart('chart-processed') && Chart.getChart('chart-processed').data.labels.length === 30"
    )


def test_pause_a_queue(page, live_console, filled, r):
    page.goto(live_console + "/")
    page.locator('tr[data-queue="default"]').get_by_role("button", name="Pause").click()
    expect(page.locator(".flash-success")).to_contain_text('Paused queue "default"')
    expect(page.locator('tr[data-queue="default"] .badge-paused')).to_be_visible()
    assert r.exists("asynq:{default}:paused")


def test_open_a_queue_and_archive_a_retry_task(page, live_console, filled, r):
    page.goto(live_console + "/")
    page.get_by_role("link", name="default", exact=True).click()
    expect(page.get_by_role("heading", name="Queue default")).to_be_visible()
    page.locator('.tabs a[data-state="retry"]').click()
    expect(page).to_have_url(re.compile(r"state=retry"))
    row = page.locator(f'tr[data-task-id="{filled["retry"]}"]')
    expect(row).to_contain_text("smtp timeout")
    row.get_by_role("button", name="Archive").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Archived task {filled['retry']}")
    assert state_of(r, "default", filled["retry"]) == "archived"
    expect(page.locator('.tabs a[data-state="archived"] .count')).to_have_text("2")


def test_run_an_archived_task(page, live_console, filled, r):
    page.goto(live_console + "/queues/default?state=archived")
    page.locator(f'tr[data-task-id="{filled["archived"]}"]').get_by_role(
        "button", name="Run"
    ).click()
    expect(page.locator(".flash-success")).to_contain_text("moved to pending")
    assert state_of(r, "default", filled["archived"]) == "pending"


def test_bulk_delete_with_confirmation(page, live_console, filled, r):
    page.goto(live_console + "/queues/default?state=pending")
    boxes = page.locator('input[name="ids"]')
    expect(boxes).to_have_count(4)
    for i in range(3):
        boxes.nth(i).check()
    chosen = [boxes.nth(i).get_attribute("value") for i in range(3)]
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator("#confirm-title")).to_have_text("Delete 3 tasks?")
    expect(page.locator(".confirm-question")).to_contain_text(
        'Delete 3 selected pending tasks of queue "default"?'
    )
    assert all(state_of(r, "default", i) == "pending" for i in chosen)
    page.locator("#confirm-button").click()
    expect(page.locator(".flash-success")).to_have_text("Deleted 3 tasks")
    assert all(state_of(r, "default", i) is None for i in chosen)
    expect(page.locator('input[name="ids"]')).to_have_count(1)


def test_select_all_then_cancel_the_confirmation(page, live_console, redis_url, r):
    seed_many(r, "default", "retry", 4)
    page.goto(live_console + "/queues/default?state=retry")
    page.locator("input[data-select-all]").check()
    expect(page.locator('input[name="ids"]:checked')).to_have_count(4)
    page.get_by_role("button", name="Run selected").click()
    expect(page.locator("#confirm-title")).to_have_text("Run 4 tasks?")
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(r"state=retry"))
    assert r.zcard("asynq:{default}:retry") == 4


def test_open_a_task_page(page, live_console, filled):
    page.goto(live_console + "/queues/default?state=retry")
    page.locator(f'tr[data-task-id="{filled["retry"]}"] td.id a').click()
    expect(page.locator("h1")).to_contain_text(filled["retry"])
    fields = page.locator("dl.fields")
    expect(fields).to_contain_text("smtp timeout")
    expect(fields).to_contain_text("email:send")
    expect(page.locator("pre.data-json")).to_contain_text('"to": "a@example.com"')
    expect(page.get_by_role("button", name="Run")).to_be_visible()


def test_live_updates_and_the_pause_control(page, live_console, redis_url, r):
    seed_many(r, "default", "pending", 1)
    page.goto(live_console + "/queues/default?state=pending")
    count = page.locator('.tabs a[data-state="pending"] .count')
    expect(count).to_have_text("1")
    seed_task(r, "default", "pending")
    expect(count).to_have_text("2", timeout=5000)  # htmx poll every 1 s, no reload
    toggle = page.locator("#poll-toggle")
    expect(toggle).to_contain_text("pause")
    toggle.click()
    expect(toggle).to_contain_text("resume")
    seed_task(r, "default", "pending")
    page.wait_for_timeout(2500)
    expect(count).to_have_text("2")
    # The choice is remembered across pages.
    page.reload()
    expect(page.locator("#poll-toggle")).to_contain_text("resume")
    page.locator("#poll-toggle").click()
    seed_task(r, "default", "pending")
    expect(count).to_have_text("4", timeout=5000)


def test_polling_keeps_selected_rows(page, live_console, redis_url, r):
    seed_many(r, "default", "pending", 3)
    page.goto(live_console + "/queues/default?state=pending")
    page.locator('input[name="ids"]').first.check()
    seed_task(r, "default", "pending")
    page.wait_for_timeout(2500)
    expect(page.locator('input[name="ids"]:checked')).to_have_count(1)


def test_pages_work_without_javascript(browser, live_console, filled, r):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(live_console + "/queues/default?state=retry")
        pg.locator(f'tr[data-task-id="{filled["retry"]}"]').get_by_role(
            "button", name="Run"
        ).click()
        expect(pg.locator(".flash-success")).to_contain_text("moved to pending")
        assert state_of(r, "default", filled["retry"]) == "pending"
    finally:
        context.close()


def test_dashboard_charts_follow_live_refreshes(page, live_console, r):
    seed_many(r, "default", "pending", 1)
    page.goto(live_console + "/")
    total = (
        "() => { const c = window.Chart && window.Chart.getChart('chart-sizes');"
        " return c ? c.data.datasets.reduce((n, d) => n + d.data.reduce((a, b) => a + b, 0), 0)"
        " : -1; }"
    )

    def wait_total(expected: int, timeout: float) -> None:
        # polled from Python: the page's CSP forbids the eval that wait_for_function uses
        deadline = time.monotonic() + timeout
        while page.evaluate(total) != expected:
            assert time.monotonic() < deadline, f"chart total stayed {page.evaluate(total)}"
            page.wait_for_timeout(200)

    wait_total(1, 5)
    seed_many(r, "default", "pending", 2)
    wait_total(3, 8)  # after an htmx refresh the chart shows the new sizes, not frozen ones
