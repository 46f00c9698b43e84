"""Go option strings (spec §7.3) and Go durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pyasynq.option_strings import (
    format_go_duration,
    format_option,
    format_options,
    go_quote,
    go_unquote,
    parse_go_duration,
    parse_option,
    parse_options,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1, "1s"),
        (1.5, "1.5s"),
        (60, "1m0s"),
        (90, "1m30s"),
        (1800, "30m0s"),
        (3600, "1h0m0s"),
        (86400, "24h0m0s"),
        (3723.5, "1h2m3.5s"),
        (0.5, "500ms"),
        (0.0015, "1.5ms"),
        (0.000001, "1µs"),
        (1e-9, "1ns"),
        (-90, "-1m30s"),
        (timedelta(minutes=10), "10m0s"),
    ],
)
def test_go_duration_format(seconds, text):
    assert format_go_duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0),
        ("0s", 0),
        ("30s", 30),
        ("1m30s", 90),
        ("1h", 3600),
        ("1.5h", 5400),
        ("300ms", 0.3),
        ("2h45m", 9900),
        ("-1m", -60),
        ("1µs", 1e-6),
        ("1us", 1e-6),
    ],
)
def test_go_duration_parse(text, seconds):
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "1", "1x", "h", "1h 2m", "--1s"])
def test_go_duration_parse_rejects(bad):
    with pytest.raises(ValueError):
        parse_go_duration(bad)


def test_option_forms_match_go():
    deadline = datetime(2026, 1, 2, 15, 4, 5, tzinfo=UTC)
    opts = {
        "max_retry": 25,
        "queue": "critical",
        "timeout": 1800,
        "deadline": deadline,
        "unique": timedelta(hours=1),
        "process_in": 600,
        "retention": 86400,
        "task_id": "abc",
        "group": "g1",
        "process_at": deadline + timedelta(days=10),
    }
    assert format_options(opts) == [
        "MaxRetry(25)",
        'Queue("critical")',
        "Timeout(30m0s)",
        "Deadline(Fri Jan  2 15:04:05 UTC 2026)",
        "Unique(1h0m0s)",
        "ProcessIn(10m0s)",
        "Retention(24h0m0s)",
        'TaskID("abc")',
        'Group("g1")',
        "ProcessAt(Mon Jan 12 15:04:05 UTC 2026)",
    ]
    # round trip
    assert parse_options(format_options(opts)) == {
        **opts,
        "unique": 3600.0,
        "timeout": 1800.0,
        "process_in": 600.0,
        "retention": 86400.0,
    }


def test_parse_go_compatible_drops_taskid_and_group():
    parsed = parse_options(
        ['TaskID("x")', 'Group("g")', "MaxRetry(3)", "Bogus(1)", "garbage"], go_compatible=True
    )
    assert parsed == {"max_retry": 3}


def test_header_option_head_only_form():
    assert format_option("header", ("k", "v")) == 'Header(["k","v"])'
    assert parse_option('Header(["k","v"])') == ("header", ("k", "v"))


def test_go_quoting():
    for text in ["plain", 'qu"ote', "back\\slash", "new\nline", "tab\t", "\x01", "héllo", "日本"]:
        assert go_unquote(go_quote(text)) == text
    assert go_quote('a"b\n') == '"a\\"b\\n"'
    assert go_quote("\x01") == '"\\x01"'
    assert go_quote("héllo") == '"héllo"'
    assert go_unquote("`raw`") == "raw"


def test_format_rejects_unknown_and_naive():
    with pytest.raises(ValueError):
        format_option("nope", 1)
    with pytest.raises(ValueError):
        format_option("deadline", datetime(2026, 1, 1))
