"""Go's ways of writing values, so ``pyasynq`` prints what Go's ``asynq`` CLI prints.

Go's CLI formats with ``text/tabwriter`` (padding 2, every cell tab-terminated, so lines keep
two trailing spaces), ``%q`` (``strconv.Quote``), ``time.Duration.String`` (``1h0m0s``),
``time.UnixDate`` and ``time.Time.String`` in the local time zone. These helpers reproduce them,
and parse Go's duration syntax (``1h30m``) and RFC 3339 times for flags.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

import click


def tabwriter(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Lines as Go's ``tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)`` writes ``"%v\\t..."`` rows.

    Every cell is padded to its column's widest cell plus two spaces, the last one too (Go's
    format ends each cell with a tab), so lines end in spaces exactly as Go's do.
    """
    cells = [[str(c) for c in row] for row in rows]
    if not cells:
        return []
    ncols = max(len(r) for r in cells)
    widths = [max((len(r[i]) for r in cells if i < len(r)), default=0) + 2 for i in range(ncols)]
    return ["".join(c.ljust(widths[i]) for i, c in enumerate(r)) for r in cells]


def print_go_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Go's ``printTable``: headers, a dash rule as long as each header, then the rows."""
    for line in tabwriter([list(headers), ["-" * len(h) for h in headers], *rows]):
        click.echo(line)


def heading(text: str) -> None:
    """A bold title line (Go's ``color.Bold``); plain text when stdout is not a terminal."""
    click.echo(click.style(text, bold=True))


def is_printable(data: bytes | None) -> TypeGuard[bytes]:
    """Go CLI's ``isPrintable``: valid UTF-8, every rune printable, not all white space."""
    if not data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(_go_is_print(ch) for ch in text) and not text.isspace()


def _go_is_print(ch: str) -> bool:
    """``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols and the ASCII space."""
    if ch == " ":
        return True
    return unicodedata.category(ch)[0] in "LMNPS"


def sprint_bytes(data: bytes | None) -> str:
    """Go's ``sprintBytes``: the text, or ``non-printable bytes``."""
    return data.decode("utf-8") if is_printable(data) else "non-printable bytes"


def go_quote(text: str) -> str:
    """Go's ``%q`` / ``strconv.Quote``: double quotes, Go escapes for what is not printable."""
    out = ['"']
    escapes = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t"}
    escapes |= {"\v": r"\v", '"': r"\"", "\\": r"\\"}
    for ch in text:
        if ch in escapes:
            out.append(escapes[ch])
        elif _go_is_print(ch):
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def go_duration(seconds: float) -> str:
    """``time.Duration.String`` of a duration rounded to whole seconds (``1h0m0s``, ``5s``)."""
    total = int(math.floor(abs(seconds) + 0.5))  # Go's Round: halves away from zero
    sign = "-" if seconds < 0 and total else ""
    if total == 0:
        return "0s"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"


def local(value: datetime) -> datetime:
    """The time in the local zone, as Go's ``time.Unix`` gives it (``TZ`` is honoured)."""
    return value.astimezone()


def unix_date(value: datetime | None) -> str:
    """``time.UnixDate`` (``Fri Nov 27 18:33:05 UTC 2026``) in the local zone; empty for none.

    Go's ``formatPastTime`` prints nothing for a zero time or the Unix epoch; so does this.
    """
    if value is None or value.timestamp() == 0:
        return ""
    t = local(value)
    return t.strftime("%a %b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S ") + _zone(t) + f" {t.year}"


def time_string(value: datetime) -> str:
    """``time.Time.String()`` (``2026-11-27 18:33:05.123456 +0000 UTC``) in the local zone."""
    t = local(value)
    frac = f".{t.microsecond:06d}".rstrip("0") if t.microsecond else ""
    return t.strftime("%Y-%m-%d %H:%M:%S") + frac + t.strftime(" %z ") + _zone(t)


def _zone(t: datetime) -> str:
    name = t.tzname() or ""
    if not name or name[0] in "+-":  # Go writes a numeric zone abbreviation as -0700
        return t.strftime("%z")
    return name


def process_in(when: datetime | None, now: datetime) -> str:
    """Go's ``formatProcessAt``: ``right now`` when due, else ``in 1h0m0s``."""
    if when is None:
        return "right now"
    delta = (when - now).total_seconds()
    return "right now" if delta < 0 else f"in {go_duration(delta)}"


def next_process_time(when: datetime | None, now: datetime) -> str:
    """Go's ``formatNextProcessAt`` (task inspect): ``n/a``, ``now`` or the time and the wait."""
    if when is None or when.timestamp() == 0:
        return "n/a"
    if when <= now:
        return "now"
    return f"{unix_date(when)} (in {go_duration((when - now).total_seconds())})"


def time_ago(when: datetime | None, now: datetime) -> str:
    """``%v ago`` of the time since ``when`` (server ls, cron ls)."""
    if when is None:
        return "N/A"
    return f"{go_duration((now - when).total_seconds())} ago"


def error_rate(processed: int, failed: int) -> str:
    return f"{failed / processed * 100:.2f}%" if processed else "N/A"


# -- parsing Go's flag values ---------------------------------------------------------------------

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # Go accepts both micro signs
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Seconds from Go's ``time.ParseDuration`` syntax (``300ms``, ``1h30m``, ``-2.5s``).

    A bare number is taken as seconds (pyasynq's own spelling, which Go refuses).
    """
    s = text.strip()
    if not s:
        raise ValueError("empty duration")
    try:
        return float(s)
    except ValueError:
        pass
    sign = -1.0 if s.startswith("-") else 1.0
    body = s[1:] if s[:1] in "+-" else s
    pos, total = 0, 0.0
    while pos < len(body):
        m = _PART.match(body, pos)
        if not m:
            raise ValueError(f"invalid duration {text!r} (Go syntax such as 90s, 10m, 1h30m)")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos == 0:
        raise ValueError(f"invalid duration {text!r}")
    return sign * total


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_rfc3339(text: str) -> datetime:
    """A time in RFC 3339 (``2024-12-14T01:23:45Z``, ``...+02:00``, fractions allowed), as Go's
    ``time.Parse(time.RFC3339, ...)`` accepts it; the zone is required."""
    s = text.strip()
    if not _RFC3339.match(s):
        raise ValueError(f"invalid time {text!r} (RFC 3339, e.g. 2024-12-14T01:23:45Z)")
    main, frac = s[:19], ""
    rest = s[19:]
    if rest.startswith("."):
        digits = re.match(r"\.(\d+)", rest).group(1)  # type: ignore[union-attr]
        frac = "." + digits[:6].ljust(6, "0")
        rest = rest[1 + len(digits) :]
    zone = "+00:00" if rest == "Z" else rest
    return datetime.fromisoformat(main + frac + zone).astimezone(UTC)


class GoDuration(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2; we allow 8.1
    """A click type for Go durations (or plain seconds); the value is seconds as a float."""

    name = "duration"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_go_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class RFC3339(click.ParamType):  # type: ignore[type-arg]
    name = "rfc3339"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_rfc3339(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
