#!/usr/bin/env python3
"""One command for the whole benchmark: ``python3 bench/run.py [--quick] [--only PHASES]``.

It creates ``bench/.venv`` (peers installed there only, never in pyproject), re-runs itself
inside it, starts its own redis-server on a free loopback port (never a shared Redis), runs
every phase with pyasynq and its peers (RQ, arq, Celery, Dramatiq) in the same session, and
writes ``bench/RESULTS.md`` (and the raw figures to ``bench/results.json``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = HERE / ".venv"
PEERS = [
    "rq>=2.0",
    "arq>=0.26",
    "saq>=0.26",
    "celery[redis]==5.5.3",
    "kombu==5.5.4",
    "dramatiq[redis]>=1.17",
    "huey>=2.5",
    "redis==5.2.1",
    "psutil",
    "py-spy",
    "pyinstrument",
]


def ensure_venv() -> None:
    """Re-exec inside bench/.venv, creating it (with the peers) when missing."""
    vpy = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not vpy.exists():
        print("creating bench/.venv and installing the peers from PyPI ...", flush=True)
        venv.EnvBuilder(system_site_packages=True, with_pip=True).create(VENV)
        subprocess.check_call([str(vpy), "-m", "pip", "install", "-q", *PEERS, "-e", str(ROOT)])
    os.execv(str(vpy), [str(vpy), str(HERE / "run.py"), *sys.argv[1:]])


if __name__ == "__main__":
    ensure_venv()
    sys.path.insert(0, str(ROOT))
    from bench.suite import main

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one run per figure, fewer settings")
    parser.add_argument(
        "--only",
        default="",
        help="comma list: enqueue,process,latency,console,profile,limits,async,many_queues,redis_cost",
    )
    parser.add_argument("--systems", default="pyasynq,rq,arq,celery,dramatiq")
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    main(parser.parse_args())
