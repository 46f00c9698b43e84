"""``python3 -m tests.faults.run``: run the full fault suite and write docs/reliability.md.

Runs ``pytest tests/faults`` with ``PYASYNQ_FAULTS=full`` (5,000 tasks under a SIGKILL loop, a
10 s Redis outage, SIGTERM under load, corrupt data, a hostile Redis, hypothesis over the console
and the CLI) plus the XSS browser test, collects each scenario's figures and writes them as a
table. Pass ``--short`` for the CI variant (the table then says so). Exit status is pytest's.

``--merge PATH...`` runs only the given test files and replaces just their scenarios' rows,
keeping the others' figures (``python3 -m tests.faults.run --merge tests/faults/test_hostile.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
COLUMNS = ["scenario", "tasks", "kills", "outages", "inputs", "lost", "run_twice", "duration"]
HEADERS = [
    "scenario",
    "tasks",
    "kills / SIGTERMs",
    "outages",
    "inputs tried",
    "lost",
    "run twice",
    "duration (s)",
]


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    redis = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True
    ).stdout.split()
    version = next((w[2:] for w in redis if w.startswith("v=")), "?")
    return f"{platform.system()} {platform.machine()}, {cpus} CPUs, Python {platform.python_version()}, Redis {version}"


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in COLUMNS) + " |")
    return "\n".join(lines)


def extra(rows: list[dict]) -> str:
    notes = []
    for row in rows:
        more = {k: v for k, v in row.items() if k not in COLUMNS and k != "mode"}
        if more:
            notes.append(
                f"- {row['scenario']}: "
                + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in more.items())
            )
    return "\n".join(notes)


START, END = "<!-- faults:begin -->", "<!-- faults:end -->"


def merged(old: list[str], new: list[str], name_of: Any) -> list[str]:
    """``old`` lines with those of a re-measured scenario replaced in place, new ones last."""
    fresh = {name_of(line): line for line in new}
    out = [fresh.pop(name_of(line), line) for line in old]
    return out + list(fresh.values())


def _row_name(line: str) -> str:
    return line[2:].split(" | ", 1)[0]


def _detail_name(line: str) -> str:
    return line[2:].split(": ", 1)[0]


def current_block(template: str) -> tuple[list[str], list[str], list[str]]:
    """The header, table rows and details lines of the block ``write_doc`` wrote last."""
    if START not in template or END not in template:
        return [], [], []
    block = template.split(START, 1)[1].split(END, 1)[0]
    header, rows, details = [], [], []
    for line in block.splitlines():
        if line.startswith("| ") and not line.startswith("| scenario |"):
            rows.append(line)
        elif line.startswith("- "):
            details.append(line)
        elif line.startswith(("Measured", "Updated")):
            header.append(line)
    return header, rows, details


def write_doc(
    rows: list[dict], mode: str, status: int, seconds: float, *, merge: bool = False
) -> None:
    template = DOC.read_text() if DOC.exists() else ""
    start, end = START, END
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    measured = (
        f"Measured {today} on {machine()}; mode **{mode}**; pytest exit status {status}; "
        f"{seconds:.0f} s in all."
    )
    new_table = table(rows).splitlines()
    new_details = [line for line in extra(rows).splitlines() if line]
    header, body, details = [measured], new_table[2:], new_details
    if merge:
        names = {str(r["scenario"]) for r in rows}
        header, old_rows, old_details = current_block(template)
        body = merged(old_rows, new_table[2:], _row_name)
        fresh = {_detail_name(d) for d in new_details}
        kept = [d for d in old_details if _detail_name(d) not in names - fresh]
        details = merged(kept, new_details, _detail_name)
        header = [h for h in header if h.startswith("Measured")] + [
            f"Updated {today} on {machine()} ({mode}; pytest exit status {status}; "
            f"{seconds:.0f} s): {'; '.join(sorted(names))}."
        ]
    block = "\n".join(
        [start, *header, "", *new_table[:2], *body, "", "Details:", "", *details, end]
    )
    if start in template and end in template:
        before, rest = template.split(start, 1)
        after = rest.split(end, 1)[1]
        DOC.write_text(before + block + after)
    else:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(template + ("\n" if template else "") + block + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.faults.run")
    parser.add_argument(
        "--short", action="store_true", help="the CI variant instead of the full one"
    )
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/reliability.md")
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="PATH",
        help="run only these test files and replace only their scenarios' rows",
    )
    args, extra_args = parser.parse_known_args(argv)
    targets = args.merge or ["tests/faults", "tests/browser/test_xss.py"]
    mode = "short" if args.short else "full"
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as fh:
        report = fh.name
    env = {**os.environ, "PYASYNQ_FAULTS": mode, "PYASYNQ_FAULTS_REPORT": report}
    started = dt.datetime.now()
    status = subprocess.call(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *targets,
            *extra_args,
        ],
        cwd=ROOT,
        env=env,
    )
    seconds = (dt.datetime.now() - started).total_seconds()
    rows = [json.loads(line) for line in Path(report).read_text().splitlines() if line.strip()]
    os.unlink(report)
    print(table(rows))
    if not args.no_doc:
        write_doc(rows, mode, status, seconds, merge=bool(args.merge))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
