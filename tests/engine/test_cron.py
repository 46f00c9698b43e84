"""Spec parsing and DST-correct next-run computation (spec §7.1)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pyasynq.cron import CronSchedule, EverySchedule, next_times, parse

NY = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")


def local(times, tz):
    return [datetime.fromtimestamp(t, tz).strftime("%m-%d %H:%M %Z") for t in times]


def test_five_field_in_utc():
    start = datetime(2026, 1, 1, 8, 59, 30, tzinfo=UTC).timestamp()
    assert local(next_times("0 9 * * MON-FRI", start, 3), UTC) == [
        "01-01 09:00 UTC",
        "01-02 09:00 UTC",
        "01-05 09:00 UTC",
    ]


def test_next_is_strictly_after():
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC).timestamp()
    assert next_times("0 9 * * *", start, 1)[0] == start + 86400


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("@hourly", "01-01 01:00 UTC"),
        ("@daily", "01-02 00:00 UTC"),
        ("@midnight", "01-02 00:00 UTC"),
        ("@weekly", "01-04 00:00 UTC"),  # 2026-01-04 is a Sunday
        ("@monthly", "02-01 00:00 UTC"),
        ("@yearly", "01-01 00:00 UTC"),
        ("@annually", "01-01 00:00 UTC"),
    ],
)
def test_descriptors(spec, expected):
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC).timestamp()
    got = local(next_times(spec, start, 1), UTC)[0]
    if spec in ("@yearly", "@annually"):
        assert datetime.fromtimestamp(next_times(spec, start, 1)[0], UTC).year == 2027
    assert got == expected


def test_every_durations():
    s = parse("@every 1m30s")
    assert isinstance(s, EverySchedule) and s.delay == 90
    assert s.next_after(1000.7) == 1090.0
    assert parse("@every 500ms").delay == 1  # robfig rounds up to one second
    assert parse("@every 1h").next_after(0) == 3600


def test_tz_prefixes_and_location():
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC).timestamp()
    assert local(next_times("CRON_TZ=America/New_York 0 9 * * *", start, 1), UTC) == [
        "01-01 14:00 UTC"
    ]
    assert local(next_times("TZ=Europe/Paris 0 9 * * *", start, 1), UTC) == ["01-01 08:00 UTC"]
    assert local(next_times("0 9 * * *", start, 1, "America/New_York"), UTC) == ["01-01 14:00 UTC"]
    # a prefix beats the location
    assert local(next_times("CRON_TZ=UTC 0 9 * * *", start, 1, "America/New_York"), UTC) == [
        "01-01 09:00 UTC"
    ]
    schedule = parse("@daily", "Europe/Paris")
    assert isinstance(schedule, CronSchedule) and schedule.tz == PARIS


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "* * * *",
        "* * * * * *",
        "61 * * * *",
        "@often",
        "@every",
        "@every 5",
        "@every -1s",
        "CRON_TZ=Nowhere/City * * * * *",
        "hello world foo bar baz",
    ],
)
def test_invalid_specs(bad):
    with pytest.raises(ValueError):
        parse(bad)


def test_spring_forward_skipped_time_runs_once_at_gap_end():
    # 2026-03-08: New York clocks jump 02:00 EST -> 03:00 EDT
    start = datetime(2026, 3, 7, 12, 0, tzinfo=NY).timestamp()
    assert local(next_times("30 2 * * *", start, 3, NY), NY) == [
        "03-08 03:00 EDT",
        "03-09 02:30 EDT",
        "03-10 02:30 EDT",
    ]


def test_spring_forward_frequent_job_collapses_gap():
    start = datetime(2026, 3, 8, 1, 0, tzinfo=NY).timestamp()
    assert local(next_times("*/20 * * * *", start, 6, NY), NY) == [
        "03-08 01:20 EST",
        "03-08 01:40 EST",
        "03-08 03:00 EDT",
        "03-08 03:20 EDT",
        "03-08 03:40 EDT",
        "03-08 04:00 EDT",
    ]


def test_fall_back_repeated_time_runs_once():
    # 2026-11-01: New York clocks fall back 02:00 EDT -> 01:00 EST; 01:30 happens twice
    start = datetime(2026, 10, 31, 12, 0, tzinfo=NY).timestamp()
    times = next_times("30 1 * * *", start, 2, NY)
    assert local(times, NY) == ["11-01 01:30 EDT", "11-02 01:30 EST"]


def test_fall_back_hourly_runs_each_wall_hour_once():
    start = datetime(2026, 11, 1, 0, 0, tzinfo=NY).timestamp()
    assert local(next_times("0 * * * *", start, 3, NY), NY) == [
        "11-01 01:00 EDT",
        "11-01 02:00 EST",
        "11-01 03:00 EST",
    ]


def test_started_inside_repeated_hour_still_runs():
    start = datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=NY).timestamp()  # 01:10 EST (2nd pass)
    assert local(next_times("15 * * * *", start, 2, NY), NY) == [
        "11-01 01:15 EST",
        "11-01 02:15 EST",
    ]


def test_europe_dst():
    # 2026-03-29: Paris 02:00 CET -> 03:00 CEST; 2026-10-25: 03:00 CEST -> 02:00 CET
    start = datetime(2026, 3, 28, 12, 0, tzinfo=PARIS).timestamp()
    assert local(next_times("30 2 * * *", start, 2, PARIS), PARIS) == [
        "03-29 03:00 CEST",
        "03-30 02:30 CEST",
    ]
    start = datetime(2026, 10, 24, 12, 0, tzinfo=PARIS).timestamp()
    assert local(next_times("30 2 * * *", start, 2, PARIS), PARIS) == [
        "10-25 02:30 CEST",
        "10-26 02:30 CET",
    ]


def test_every_ignores_dst():
    start = datetime(2026, 11, 1, 0, 30, tzinfo=NY).timestamp()
    times = next_times("@every 1h", start, 3, NY)
    assert [b - a for a, b in zip([start, *times], times, strict=False)] == [3600.0] * 3
