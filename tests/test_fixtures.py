"""The Go captures are recorded data: every file is present and unchanged."""

from __future__ import annotations

import hashlib

from tests.support.go_captures import GO_CAPTURES_SHA256, GO_DIR


def test_go_captures_are_byte_for_byte_the_recording():
    expected = {}
    for line in GO_CAPTURES_SHA256.read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        expected[name.removeprefix("./")] = digest
    found = {
        str(p.relative_to(GO_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in GO_DIR.rglob("*")
        if p.is_file()
    }
    assert found == expected
    assert len(found) == 18
