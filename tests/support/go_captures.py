"""Where the Go Asynq v0.26.0 captures live: recorded data kept in the repository.

``tests/fixtures/go-asynq-0.26.0/`` holds Redis states and Go's own answers about them, copied
byte for byte from the recording (its README says how they were made); ``GO_CAPTURES_SHA256``
pins every file so an accidental edit fails ``tests/test_fixtures.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GO_DIR = FIXTURES / "go-asynq-0.26.0"
GO_CAPTURES_SHA256 = FIXTURES / "go-asynq-0.26.0.sha256"


def go_json(name: str) -> Any:
    return json.loads((GO_DIR / name).read_text("utf-8"))
