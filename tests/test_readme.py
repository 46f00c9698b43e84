"""Every Python and shell block of the README runs, in order, against a test Redis.

So the README cannot rot. A block runs as written, with two substitutions: the README's Redis URL
(``redis://127.0.0.1:6379/0``) becomes the test's private Redis and the example web port
(``127.0.0.1:8000``) a free one. An HTML comment just before a block can say what to do with it:

- ``<!-- readme-test: file PATH -->``: write the block to PATH (e.g. the user's ``myapp/tasks.py``);
- ``<!-- readme-test: background -->``: start it and leave it running (a worker, a web server); it
  must still be running when the README is done, and must exit cleanly (0) on SIGTERM. With
  ``ready=server`` the next block waits until it shows up among the live servers in Redis (what a
  worker does once it runs);
- ``<!-- readme-test: skip (reason) -->``: not run, with the reason where another test covers it;
- nothing, or ``run``: run it; it must exit 0 within a minute.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyasynq import Inspector
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<directive>[^>]*?) -->\n)?```(?P<lang>python|bash)\n(?P<code>.*?)```",
    re.S,
)

pytestmark = pytest.mark.slow


@dataclass
class Block:
    line: int
    lang: str
    directive: str
    code: str

    @property
    def action(self) -> str:
        return self.directive.split(" ", 1)[0] if self.directive else "run"


def readme_blocks() -> list[Block]:
    text = README.read_text("utf-8")
    return [
        Block(text.count("\n", 0, m.start("code")) + 1, m["lang"], m["directive"] or "", m["code"])
        for m in BLOCK.finditer(text)
    ]


def wait_for_new_server(redis_url: str, proc: subprocess.Popen, log: Path, at_least: int) -> None:
    with Inspector(redis_url) as inspector:
        deadline = time.monotonic() + 60
        while len(inspector.servers()) < at_least:
            assert proc.poll() is None, f"stopped while starting:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no server after 60 s:\n{log.read_text()[-3000:]}"
            time.sleep(0.1)


def test_every_block_is_run_or_says_why_not():
    blocks = readme_blocks()
    assert len(blocks) >= 8
    for block in blocks:
        assert block.action in ("run", "file", "background", "skip"), block
        if block.action == "skip":
            assert "(" in block.directive, f"README line {block.line}: a skip must say why"


def test_readme_blocks_run(tmp_path, redis_url):
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = dict(
        os.environ,
        PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
        PYTHONPATH=str(tmp_path),
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
    )
    background: list[tuple[Block, subprocess.Popen, Path]] = []
    servers = 0

    def adapt(code: str) -> str:
        return code.replace("redis://127.0.0.1:6379/0", redis_url).replace(
            "127.0.0.1:8000", f"127.0.0.1:{port}"
        )

    def command(block: Block, n: int) -> list[str]:
        script = tmp_path / f"block{n}.{'py' if block.lang == 'python' else 'sh'}"
        code = adapt(block.code)
        if block.action == "background" and block.lang == "bash" and code.count("\n") == 1:
            code = "exec " + code  # the signal then reaches the command itself, not the shell
        script.write_text(code)
        return (
            [sys.executable, str(script)] if block.lang == "python" else ["bash", "-e", str(script)]
        )

    try:
        for n, block in enumerate(readme_blocks()):
            where = f"README.md line {block.line}"
            if block.action == "skip":
                continue
            if block.action == "file":
                target = tmp_path / block.directive.split(" ", 1)[1].strip()
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(adapt(block.code))
            elif block.action == "background":
                log = tmp_path / f"block{n}.log"
                proc = subprocess.Popen(
                    command(block, n), cwd=tmp_path, env=env, start_new_session=True,
                    stdout=log.open("w"), stderr=subprocess.STDOUT,
                )  # fmt: skip
                background.append((block, proc, log))
                if "ready=server" in block.directive:
                    servers += 1
                    wait_for_new_server(redis_url, proc, log, servers)
            else:
                proc = subprocess.run(
                    command(block, n), cwd=tmp_path, env=env, capture_output=True, text=True,
                    timeout=90,
                )  # fmt: skip
                assert proc.returncode == 0, f"{where} failed:\n{proc.stdout}\n{proc.stderr}"
        for block, proc, log in background:
            assert proc.poll() is None, (
                f"README.md line {block.line} stopped early:\n{log.read_text()[-3000:]}"
            )
    finally:
        for _, proc, _ in background:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for block, proc, log in background:
            try:
                code = proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
                pytest.fail(f"README.md line {block.line} ignored SIGTERM")
            assert code == 0, (
                f"README.md line {block.line} exited {code}:\n{log.read_text()[-3000:]}"
            )
