"""Operations pages in a real browser: theme and time zone remembered across reloads, the
servers page over a running Server linking to its active task, and the throughput chart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.console.ops_support import running_server, wait_for

pytestmark = [pytest.mark.browser]


def test_theme_choice_persists_across_reload_and_pages(page, live_console):
    page.goto(live_console + "/settings")
    html = page.locator("html")
    expect(html).not_to_have_attribute("data-theme", re.compile(".*"))
    page.select_option("#pref-theme", "dark")
    expect(html).to_have_attribute("data-theme", "dark")
    expect(page.locator("#settings-saved")).to_have_text("Saved.")
    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(page.locator("#pref-theme")).to_have_value("dark")
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(20, 23, 29)", bg
    page.goto(live_console + "/servers")
    expect(html).to_have_attribute("data-theme", "dark")
    page.goto(live_console + "/settings")
    page.select_option("#pref-theme", "light")
    page.reload()
    expect(html).to_have_attribute("data-theme", "light")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 249)"


@pytest.fixture
def tokyo_page(browser, redis_url):
    context = browser.new_context(timezone_id="Asia/Tokyo")
    pg = context.new_page()
    pg.set_default_timeout(8000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_time_zone_switch_changes_displayed_times(tokyo_page, live_console, redis_url):
    page = tokyo_page
    page.goto(live_console + "/settings")
    example = page.locator("#tz-example")
    expect(example).to_have_text("2024-05-01 12:00:00 UTC")
    page.select_option("#pref-tz", "local")
    expect(example).to_have_text(re.compile(r"^2024-05-01 21:00:00 (GMT\+9|JST)$"))
    expect(page.locator("[data-tz-label]")).to_have_text(re.compile(r"GMT\+9|JST"))
    with running_server(redis_url):
        page.goto(live_console + "/servers")
        started = page.locator("article.server time[data-abs]").first
        expect(started).to_have_text(re.compile(r"(GMT\+9|JST)$"))
        rel = page.locator("tr[data-task-id] time").first
        expect(rel).to_have_attribute("title", re.compile(r"(GMT\+9|JST)$"))
        page.goto(live_console + "/settings")
        page.select_option("#pref-tz", "utc")
        page.goto(live_console + "/servers")
        expect(page.locator("article.server time[data-abs]").first).to_have_text(
            re.compile(r" UTC$")
        )


def test_servers_page_shows_the_running_task_and_links_to_it(page, live_console, redis_url):
    with running_server(redis_url, payload=b'{"report": "<weekly>"}') as (server, task_id):
        page.goto(live_console + "/servers")
        card = page.locator(f'article[data-server-id="{server.server_id}"]')
        expect(card).to_contain_text(f"{server.host}:{server.pid}")
        expect(card).to_contain_text("1 / 4")
        row = card.locator(f'tr[data-task-id="{task_id}"]')
        expect(row).to_contain_text("report:build")
        expect(row).to_contain_text('{"report":"<weekly>"}')
        row.get_by_role("link", name=task_id.split("-")[0]).click()
        expect(page).to_have_url(re.compile(rf"/queues/critical/tasks/{task_id}$"))
        expect(page.locator("main")).to_contain_text(task_id)


def drawn(page, canvas: str) -> None:
    """Wait until Chart.js drew on ``canvas`` (polling evaluate: the page's CSP forbids eval)."""
    script = f"() => !!(window.Chart && window.Chart.getChart('{canvas}'))"
    wait_for(lambda: page.evaluate(script), what=f"a chart on #{canvas}")


def test_queue_page_draws_throughput_and_type_counts(page, live_console, redis_url):
    with running_server(redis_url):
        page.goto(live_console + "/queues/critical?state=active")
        expect(page.locator("#type-counts-table")).to_contain_text("report:build")
        drawn(page, "chart-queue-throughput")
        page.goto(live_console + "/throughput")
        drawn(page, "chart-tp-processed")
        expect(page.locator("#throughput-table")).to_contain_text("critical")
