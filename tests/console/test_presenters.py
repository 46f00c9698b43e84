"""Formatting of payloads, results, times and sizes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from pyasynq.console.presenters import (
    default_view,
    duration,
    format_data,
    human_bytes,
    reltime,
    short_id,
    summary,
)


def test_json_is_pretty_printed():
    view = default_view(b'{"b":1,"a":[1,2]}')
    assert view.kind == "json"
    assert view.text == '{\n  "b": 1,\n  "a": [\n    1,\n    2\n  ]\n}'


def test_utf8_text_is_shown_as_text():
    view = default_view("héllo wörld".encode())
    assert (view.kind, view.text) == ("text", "héllo wörld")


def test_binary_gets_hex_and_base64():
    data = b"\x00\xffabc\x10"
    view = default_view(data)
    assert view.kind == "binary"
    assert view.hex.startswith("00000000  00 ff 61 62 63 10")
    assert base64.b64decode(view.b64) == data
    assert "6 B" in view.text


def test_control_characters_count_as_binary():
    assert default_view(b"ab\x01c").kind == "binary"


def test_empty_and_missing():
    assert default_view(b"").kind == "empty"
    assert default_view(None).kind == "none"


def test_user_formatter_replaces_default():
    view = format_data("t", b"\x01\x02", lambda t, d: f"{t}:{d.hex()}")
    assert (view.kind, view.text) == ("custom", "t:0102")


def test_failing_formatter_falls_back_with_a_note():
    def broken(t, d):
        raise RuntimeError("nope")

    view = format_data("t", b'{"a":1}', broken)
    assert view.kind == "json"
    assert "formatter failed: nope" in view.note


def test_summary_is_one_line_and_truncated():
    view = default_view(b'{"a": "' + b"x" * 300 + b'"}')
    text = summary(view, 20)
    assert text.startswith('{"a":"xxx') and text.endswith("…") and len(text) == 21


def test_times_and_sizes():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert reltime(now - timedelta(minutes=5), now=lambda: now) == "5m ago"
    assert reltime(now + timedelta(hours=3, minutes=2, seconds=9), now=lambda: now) == "in 3h 2m"
    assert reltime(None) == "-"
    assert duration(timedelta(days=1, hours=2, minutes=3, seconds=4)) == "1d 2h 3m"
    assert duration(timedelta(0)) == "0s"
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert short_id("0f9e3c4a-1b2c-4d5e-8f90-123456789abc") == "0f9e3c4a"
    assert short_id("custom-id") == "custom"
    assert short_id("plain") == "plain"
