"""Go Asynq's option strings (spec §7.3): ``MaxRetry(25)``, ``Queue("critical")``, ``Timeout(30m0s)``.

A scheduler stores the options of each entry as these strings in ``SchedulerEntry.enqueue_options``
so that Go's ``asynq cron ls`` and inspector can show (and parse) them; the PeriodicTaskManager
hashes them to identify a config. They must therefore be byte-for-byte what Go's ``Option.String()``
prints, which is why Go's duration, quoting and ``UnixDate`` formats are reproduced here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# -- Go durations -----------------------------------------------------------------------------

_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def _fraction(value: int, digits: int) -> str:
    whole, frac = divmod(value, 10**digits)
    if not frac:
        return str(whole)
    return f"{whole}." + f"{frac:0{digits}d}".rstrip("0")


def format_go_duration(value: float | int | timedelta) -> str:
    """Seconds (or a timedelta) as Go's ``time.Duration.String()``: ``1h0m0s``, ``1.5s``, ``500ms``."""
    if isinstance(value, timedelta):
        ns = (value.days * 86400 + value.seconds) * 10**9 + value.microseconds * 1000
    else:
        ns = round(value * 10**9)
    sign, u = ("-" if ns < 0 else ""), abs(ns)
    if u == 0:
        return "0s"
    if u < 10**9:
        if u < 1_000:
            text = f"{u}ns"
        elif u < 1_000_000:
            text = _fraction(u, 3) + "µs"
        else:
            text = _fraction(u, 6) + "ms"
        return sign + text
    minutes, rest = divmod(u, 60 * 10**9)
    text = _fraction(rest, 9) + "s"
    if minutes:
        hours, minutes = divmod(minutes, 60)
        text = f"{minutes}m" + text
        if hours:
            text = f"{hours}h" + text
    return sign + text


def parse_go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` in seconds: ``"1h30m"``, ``"1.5s"``, ``"-2m"``, ``"0"``."""
    s = text.strip()
    sign = 1
    if s[:1] in "+-" and s:
        sign, s = (-1 if s[0] == "-" else 1), s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f"invalid duration {text!r}")
    pos, total = 0, 0.0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if not m:
            raise ValueError(f"invalid duration {text!r}")
        total += float(m.group(1)) * _NS[m.group(2)]
        pos = m.end()
    return sign * total / 10**9


# -- Go strings ---------------------------------------------------------------------------------

_ESCAPES = {
    "\a": r"\a",
    "\b": r"\b",
    "\f": r"\f",
    "\n": r"\n",
    "\r": r"\r",
    "\t": r"\t",
    "\v": r"\v",
    "\\": r"\\",
    '"': r"\"",
}
_UNESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
}


def go_quote(text: str) -> str:
    """Go's ``%q`` / ``strconv.Quote``: printable characters as-is, the rest escaped."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def go_unquote(text: str) -> str:
    """Inverse of ``go_quote`` (also accepts Go raw strings in backquotes)."""
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1]
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a Go quoted string: {text!r}")
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError(f"bad escape in {text!r}")
        kind = body[i + 1]
        if kind in _UNESCAPES:
            out.append(_UNESCAPES[kind])
            i += 2
        elif kind in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[kind]
            out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        elif kind in "01234567":
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise ValueError(f"bad escape \\{kind} in {text!r}")
    return "".join(out)


# -- Go UnixDate --------------------------------------------------------------------------------

_UNIX_DATE = re.compile(
    r"^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\S+) (-?\d{4,})$"
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def format_unix_date(value: datetime | float | int) -> str:
    """Go's ``time.UnixDate`` layout, always in UTC (``Mon Jan  2 15:04:05 UTC 2006``).

    UTC keeps the string parseable everywhere: Go gives an unknown zone abbreviation offset 0.
    """
    dt = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    if dt.tzinfo is None:
        raise ValueError("a naive datetime is ambiguous; give an aware one")
    dt = dt.astimezone(UTC)
    return f"{dt:%a %b} {dt.day:2d} {dt:%H:%M:%S} UTC {dt.year}"


def parse_unix_date(text: str) -> datetime:
    m = _UNIX_DATE.match(text.strip())
    if not m:
        raise ValueError(f"not a Go UnixDate time: {text!r}")
    month, day, hh, mm, ss, _zone, year = m.groups()
    # Go gives an abbreviation it does not know a zero offset; UTC/GMT are zero anyway.
    tz: timezone = UTC
    return datetime(
        int(year), _MONTHS.index(month) + 1, int(day), int(hh), int(mm), int(ss), tzinfo=tz
    )


# -- options --------------------------------------------------------------------------------------

_DURATIONS = {
    "timeout": "Timeout",
    "unique": "Unique",
    "process_in": "ProcessIn",
    "retention": "Retention",
}
_TIMES = {"deadline": "Deadline", "process_at": "ProcessAt"}
_STRINGS = {"queue": "Queue", "task_id": "TaskID", "group": "Group"}
_BY_GO_NAME = {go: py for py, go in {**_DURATIONS, **_TIMES, **_STRINGS}.items()}
_BY_GO_NAME["MaxRetry"] = "max_retry"


def format_option(name: str, value: Any) -> str:
    """One enqueue option (a ``Client.enqueue`` keyword) as Go's ``Option.String()``."""
    if name == "max_retry":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"max_retry must be an integer, got {value!r}")
        return f"MaxRetry({value})"
    if name in _STRINGS:
        return f"{_STRINGS[name]}({go_quote(str(value))})"
    if name in _DURATIONS:
        if isinstance(value, str):
            value = parse_go_duration(value)
        return f"{_DURATIONS[name]}({format_go_duration(value)})"
    if name in _TIMES:
        return f"{_TIMES[name]}({format_unix_date(value)})"
    if name == "header":
        key, val = value
        return f"Header({json.dumps([key, val], separators=(',', ':'), ensure_ascii=False)})"
    raise ValueError(f"unknown option {name!r}")


def format_options(options: Mapping[str, Any]) -> list[str]:
    """Options in the order given, ``None`` values skipped (they mean "not given")."""
    return [format_option(k, v) for k, v in options.items() if v is not None]


def parse_option(text: str) -> tuple[str, Any]:
    """``'Timeout(30m0s)'`` -> ``("timeout", 1800.0)``; raises ``ValueError`` if unparseable.

    The argument runs from the first ``(`` to the last ``)`` (Go stops at the first ``)``, which
    loses values containing one).
    """
    open_at, close_at = text.find("("), text.rfind(")")
    if open_at <= 0 or close_at < open_at or close_at != len(text.rstrip()) - 1:
        raise ValueError(f"not an option string: {text!r}")
    go_name, arg = text[:open_at].strip(), text[open_at + 1 : close_at]
    if go_name == "Header":
        pair = json.loads(arg)
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ValueError(f"bad Header option: {text!r}")
        return "header", (str(pair[0]), str(pair[1]))
    name = _BY_GO_NAME.get(go_name)
    if name is None:
        raise ValueError(f"unknown option {go_name!r}")
    if name == "max_retry":
        return name, int(arg)
    if name in _STRINGS:
        return name, go_unquote(arg)
    if name in _DURATIONS:
        return name, parse_go_duration(arg)
    return name, parse_unix_date(arg)


def parse_options(strings: Iterable[str], *, go_compatible: bool = False) -> dict[str, Any]:
    """Parse many option strings into ``Client.enqueue`` keywords, dropping unparseable ones.

    With ``go_compatible`` the result matches Go's inspector, which also drops TaskID and Group.
    """
    out: dict[str, Any] = {}
    for text in strings:
        try:
            name, value = parse_option(text)
        except (ValueError, IndexError):
            continue
        if go_compatible and name in ("task_id", "group"):
            continue
        out[name] = value
    return out
