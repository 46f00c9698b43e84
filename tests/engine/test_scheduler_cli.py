"""``pyasynq scheduler MODULE:ATTR`` runs the user's scheduler until a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from click.testing import CliRunner

from pyasynq.cli import main
from pyasynq.cli.scheduler import materialize
from pyasynq.scheduler import Scheduler

REPO = Path(__file__).resolve().parents[2]


def test_materialize_factory_gets_url(redis_url):
    made = materialize(lambda url: Scheduler(url), redis_url)
    assert isinstance(made, Scheduler)
    made.shutdown()
    made = materialize(lambda: Scheduler(redis_url), "ignored")
    assert isinstance(made, Scheduler)
    made.shutdown()


def test_bad_target_is_refused():
    result = CliRunner().invoke(main, ["scheduler", "no_such_module_xyz:thing"])
    assert result.exit_code == 1 and "cannot load" in result.output
    result = CliRunner().invoke(main, ["scheduler", "json:dumps"])
    assert result.exit_code == 1


def test_runs_user_scheduler_until_sigterm(redis_url, r, tmp_path):
    (tmp_path / "myjobs.py").write_text(
        textwrap.dedent("""
        from pyasynq import Task
        from pyasynq.scheduler import Scheduler

        def build(redis_url):
            s = Scheduler(redis_url, heartbeat_interval=0.2, poll_interval=0.05)
            s.register("@every 1s", Task("tick"))
            return s
    """)
    )
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pyasynq.cli import main; main()", "scheduler", "myjobs:build"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 8
        while time.time() < deadline:
            if r.zcard("asynq:schedulers") and r.llen("asynq:{default}:pending"):
                break
            time.sleep(0.05)
        assert r.zcard("asynq:schedulers") == 1
        assert r.llen("asynq:{default}:pending") >= 1
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=5)
        assert proc.returncode == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
    assert r.zcard("asynq:schedulers") == 0  # shutdown cleared its entries
    assert not r.keys("asynq:scheduler_history:*")
