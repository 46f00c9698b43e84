"""Profile phase: where the hot paths spend their time, summarised for RESULTS.md.

* Worker: ``py-spy record`` (raw collapsed stacks) of a pyasynq worker process draining no-op
  tasks at concurrency 10; we list the functions with the most samples, inclusive and self.
* Producer: ``pyinstrument`` around ``Client.enqueue`` and ``Client.enqueue_many``.
"""

from __future__ import annotations

import collections
import subprocess
import tempfile
import time
from pathlib import Path

from bench import harness as h


def _pyspy_summary(raw: str, top: int = 12) -> tuple[list, list, int]:
    incl: collections.Counter = collections.Counter()
    self_: collections.Counter = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        n = int(n)
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].split("/")[-1] + ")"
            if " (" in f
            else f
            for f in stack.split(";")
        ]
        if frames and frames[0].startswith("thread"):
            frames = frames[1:]
        if not frames:
            continue
        total += n
        self_[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    return incl.most_common(top + 8), self_.most_common(top), total


def profile_worker(ctx: dict) -> str:
    url, r = ctx["url"], ctx["r"]
    r.flushall()
    h.enqueue_rate("pyasynq", "preload", 60_000, url)
    w = h.Workers(h.SYSTEMS["pyasynq"], url, 10, 1).start()
    out = Path(tempfile.mkdtemp()) / "worker.txt"
    try:
        h.wait_until(lambda: h.SYSTEMS["pyasynq"].remaining(r) < 59_000, 30)
        subprocess.run(
            [
                str(Path(h.PY).parent / "py-spy"),
                "record",
                "-p",
                str(w.pids[0]),
                "-d",
                "4",
                "-r",
                "250",
                "-f",
                "raw",
                "-o",
                str(out),
                "--nonblocking",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    finally:
        w.stop()
    incl, self_, total = _pyspy_summary(out.read_text())
    lines = [
        "**Worker** (py-spy, 4 s at 250 Hz, 1 process x concurrency 10 draining no-op "
        f"tasks; {total} samples over all threads, idle threads' waits included):",
        "",
        "| function (self time) | share |",
        "|---|---:|",
    ]
    lines += [f"| `{f}` | {n / total:.1%} |" for f, n in self_]
    lines += ["", "| function (inclusive) | share |", "|---|---:|"]
    lines += [
        f"| `{f}` | {n / total:.1%} |"
        for f, n in incl
        if not f.startswith(("_bootstrap", "run (threading", "<module>"))
    ][:14]
    return "\n".join(lines)


def profile_producer(ctx: dict) -> str:
    from pyinstrument import Profiler

    from pyasynq import Client, Task

    ctx["r"].flushall()
    c = Client(ctx["url"])
    c.enqueue(Task("warm"))
    parts = []
    for label, fn in (
        ("Client.enqueue x 3,000", lambda: [c.enqueue(Task("noop")) for _ in range(3000)]),
        (
            "Client.enqueue_many, 20 x 1,000",
            lambda: [c.enqueue_many([Task("noop")] * 1000) for _ in range(20)],
        ),
    ):
        p = Profiler(interval=0.0002)
        t = time.perf_counter()
        p.start()
        fn()
        p.stop()
        text = p.output_text(unicode=False, color=False, show_all=False)
        body = "\n".join(line for line in text.splitlines()[7:40] if line.strip())
        parts.append(
            f"**{label}** (pyinstrument, {time.perf_counter() - t:.2f} s with profiler):\n\n```\n{body}\n```"
        )
    c.close()
    return "\n\n".join(parts)


def phase_profile(ctx: dict) -> dict:
    return {"worker": profile_worker(ctx), "producer": profile_producer(ctx)}
