"""``pyasynq dash`` driven headless by Textual's own pilot against a real Redis holding the Go
capture: what is on the screen after Go's keys."""

from __future__ import annotations

import asyncio
import time

import pytest
from click.testing import CliRunner

pytest.importorskip("textual")

from pyasynq import Client, Inspector, Task  # noqa: E402
from pyasynq.cli import main  # noqa: E402
from pyasynq.clock import ManualClock  # noqa: E402
from pyasynq.dash.app import DashApp  # noqa: E402
from tests.support.go_captures import GO_DIR  # noqa: E402
from tests.support.loader import load_dump, read_dump  # noqa: E402
from tests.support.redis_server import free_port  # noqa: E402

CAPTURED = read_dump(GO_DIR / "at-rest.redis.json")["captured_at_unix"]


@pytest.fixture
def go_state(r, redis_url):
    load_dump(r, GO_DIR / "at-rest.redis.json")
    insp = Inspector(redis_url, clock=ManualClock(CAPTURED + 7200))
    yield insp
    insp.close()


def screen(app: DashApp) -> str:
    """The text on the terminal now (the top screen's rendered lines)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


async def settle(pilot) -> None:
    """Wait for the reads the last keys started, and for their results to be drawn."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def press(pilot, *keys: str) -> str:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
    return screen(pilot.app)


def run(coro):
    return asyncio.run(coro)


def test_queues_view_detail_tabs_groups_and_task_info(go_state):
    async def scenario():
        app = DashApp(go_state, refresh=60, clock=ManualClock(CAPTURED + 7200))
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            text = screen(app)
            assert "=== Queues ===" in text
            # Go's drawTable: each column as wide as its widest cell, then 1 + 4 spaces
            header = "Queue        State      Size     Latency     MemoryUsage     Processed     "
            assert header + "Failed     ErrorRate" in text
            lines = text.splitlines()
            assert "default  |▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇ 15" in lines  # the size bar, one tick a task
            row = next(line for line in lines if line.startswith("default ") and "|" not in line)
            assert row.split() == ["default", "RUN", "15", *row.split()[3:]]
            assert row.split()[-3:] == ["4", "3", "0.75"]
            paused = next(line for line in lines if line.startswith("paused ") and "|" not in line)
            assert paused.split()[1] == "PAUSED"
            assert "active=▇ pending=▇ aggregating=▇" in text
            assert "<?>: Help    <Ctrl+C>: Exit" in text

            # j j selects the second queue (critical, default, low, paused): Enter opens it
            text = await press(pilot, "j", "j", "enter")
            assert "=== Queue Summary ===" in text and "Name      default" in text
            assert "Size      15" in text
            assert "Active:0    Pending:7    Aggregating:2    Scheduled:1    Retry:1    " in text
            assert "Archived:3    Completed:1" in text

            text = await press(pilot, "l")  # pending
            assert "p-custom-id" in text and "interop-custom-id-1" in text
            assert "Retried     Max Retry     Payload" in text

            text = await press(pilot, "right")  # aggregating: pick a group first
            assert "<<< Select group >>>" in text and "g1" in text
            text = await press(pilot, "j", "enter")
            assert "p-group-1" in text and "p-group-2" in text

            text = await press(pilot, "l", "l")  # scheduled, retry
            assert "interop: intentional failure" in text and "Next Process Time" in text
            text = await press(pilot, "h", "left", "k")  # back to aggregating; then pending...
            text = await press(pilot, "h")
            assert "p-custom-id" in text

            # Enter on the first pending task: its info box; Esc closes it
            text = await press(pilot, "j", "enter")
            assert "=== Task Info ===" in text and "State: pending" in text
            assert "Queue: default" in text and "Payload: p-default" in text
            text = await press(pilot, "j")  # moves nothing while the box is open
            assert "=== Task Info ===" in text
            text = await press(pilot, "escape")
            assert "=== Task Info ===" not in text and "=== Tasks ===" in text

            # ? shows the help, q closes it, q goes back to the queues, q quits
            text = await press(pilot, "question_mark")
            assert "=== Help ===" in text and "to move down" in text
            assert "<Esc>: GoBack" in screen_with_footer(app)
            text = await press(pilot, "q")
            assert "=== Help ===" not in text
            text = await press(pilot, "q")
            assert "=== Queues ===" in text
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running

    run(scenario())


def screen_with_footer(app: DashApp) -> str:
    """The main screen's footer text (the help box is a screen of its own above it)."""
    return str(app.query_one("#footer").render())


def test_task_pages_follow_the_screen_height(go_state):
    async def scenario():
        app = DashApp(go_state, refresh=60, clock=ManualClock(CAPTURED + 7200))
        async with app.run_test(size=(140, 20)) as pilot:  # 20 - 15 rows: 5 tasks a page
            await settle(pilot)
            text = await press(pilot, "j", "j", "enter", "l")
            assert "Showing 1-5 out of 7  n=NextPage" in text
            assert "p-deadline" not in text
            text = await press(pilot, "n")
            assert "Showing 6-7 out of 7  p=PrevPage" in text
            assert "p-deadline" in text and "p-default" not in text
            text = await press(pilot, "n")  # no page 3
            assert "Showing 6-7 out of 7" in text
            text = await press(pilot, "p")
            assert "Showing 1-5 out of 7  n=NextPage" in text

    run(scenario())


def test_refresh_shows_new_data_and_errors_show_in_the_footer(redis_url):
    Client(redis_url).enqueue(Task("t"), queue="first")

    async def scenario():
        insp = Inspector(redis_url)
        app = DashApp(insp, refresh=1)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            assert "first " in screen(app) and "second " not in screen(app)
            Client(redis_url).enqueue(Task("t"), queue="second")
            deadline = time.monotonic() + 15
            while "second " not in screen(app) and time.monotonic() < deadline:
                await pilot.pause(0.1)  # the 1 s refresh timer, not a key, brings it in
            assert "second " in screen(app)
        insp.close()

        dead = Inspector(f"redis://127.0.0.1:{free_port()}/0")
        app = DashApp(dead, refresh=60)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            assert "cannot reach Redis" in screen(app)
        dead.close()

    run(scenario())


def test_dash_command_checks_its_flags_and_redis(redis_url):
    too_fast = CliRunner().invoke(main, ["dash", "--refresh", "500ms", "--redis-url", redis_url])
    assert too_fast.exit_code == 2 and "cannot be less than 1s" in too_fast.output
    bad = CliRunner().invoke(main, ["dash", "--refresh", "often", "--redis-url", redis_url])
    assert bad.exit_code == 2
    down = CliRunner().invoke(main, ["dash", "-u", f"127.0.0.1:{free_port()}"])
    assert down.exit_code == 3 and "cannot reach Redis" in down.output
    no_tty = CliRunner().invoke(main, ["dash", "--refresh", "2s", "--redis-url", redis_url])
    assert no_tty.exit_code == 1 and "needs a terminal" in no_tty.output
