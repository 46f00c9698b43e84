"""What ``./demo`` prints: no access log from the console, a status line that says where to look,
and a producer that summarises its pace instead of logging every enqueue."""

from __future__ import annotations

import collections

from pyasynq.cli.console import gunicorn_argv
from pyasynq.cli.demo import quiet, status_line
from tests.support.states import seed_task


def test_the_console_runs_without_an_access_log():
    argv = quiet(gunicorn_argv("127.0.0.1", 8080, 2))
    assert "--access-logfile" not in argv and "-" not in argv
    assert argv[-1] == "pyasynq.console.wsgi:app" and "--workers" in argv
    assert argv[argv.index("--log-level") + 1] == "warning"


def test_status_line_counts_and_points_at_the_failures(redis_url, r):
    seed_task(r, "critical", "retry")
    seed_task(r, "critical", "retry")
    seed_task(r, "default", "archived")
    seed_task(r, "default", "pending")
    line = status_line(redis_url, "http://127.0.0.1:8080/monitoring")
    assert "1 pending" in line and "2 retrying" in line and "1 archived" in line
    assert line.endswith("look: http://127.0.0.1:8080/monitoring/queues/critical?state=retry")


def test_producer_summary_names_the_mix():
    from pyasynq.examples.producer import summary

    kinds = collections.Counter({"emails": 5, "webhooks": 2, "duplicate syncs refused": 1})
    assert summary(kinds, 30) == (
        "7 tasks in the last 30s: 5 emails, 2 webhooks, 1 duplicate syncs refused"
    )
