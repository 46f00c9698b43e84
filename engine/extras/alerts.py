"""Alerts: small rules over queue state, checked periodically, sent to a webhook.

``AlertManager.check_once`` evaluates every rule; a rule that starts firing (or stops: a
"resolved" event) produces an event that is recorded in Redis (``pyasynq:alerts:events``,
newest first, bounded) for the console, and POSTed as JSON to the webhook, retried with
backoff on errors and 5xx answers. Only transitions are sent, so a long outage is one alert,
not one per check. Rules come from code or from a YAML/JSON file (``load_config``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pyasynq.broker.extras.alerts import ALERT_EVENTS
from pyasynq.errors import BadDataError, QueueNotFoundError
from pyasynq.info import Records
from pyasynq.inspector import Inspector

log = logging.getLogger("pyasynq.alerts")

Post = Callable[[str, bytes, float], int]
"""``(url, body, timeout) -> HTTP status``; raises on a network error."""


@dataclass(frozen=True)
class Verdict:
    firing: bool
    detail: str


class Rule:
    """A condition over the Inspector; ``name`` identifies it in events and the console."""

    kind = "rule"

    @property
    def name(self) -> str:
        params = ",".join(f"{k}={v}" for k, v in asdict(self).items())  # type: ignore[call-overload]
        return f"{self.kind}({params})"

    def evaluate(self, inspector: Any, now: float) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError


def _info(inspector: Any, queue: str) -> Any:
    try:
        return inspector.get_queue_info(queue)
    except QueueNotFoundError:
        return None


@dataclass(frozen=True)
class ArchivedAbove(Rule):
    """More than ``n`` archived (dead) tasks in ``queue``."""

    queue: str
    n: int
    kind = "archived_above"

    def evaluate(self, inspector: Any, now: float) -> Verdict:
        info = _info(inspector, self.queue)
        count = info.archived if info else 0
        return Verdict(
            count > self.n, f'queue "{self.queue}" has {count} archived tasks (limit {self.n})'
        )


@dataclass(frozen=True)
class LatencyAbove(Rule):
    """The oldest pending task of ``queue`` has waited more than ``seconds``."""

    queue: str
    seconds: float
    kind = "latency_above"

    def evaluate(self, inspector: Any, now: float) -> Verdict:
        info = _info(inspector, self.queue)
        latency = info.latency.total_seconds() if info else 0.0
        return Verdict(
            latency > self.seconds,
            f'queue "{self.queue}" latency {latency:.1f}s (limit {self.seconds}s)',
        )


@dataclass(frozen=True)
class PausedLongerThan(Rule):
    """``queue`` has been paused for more than ``seconds``."""

    queue: str
    seconds: float
    kind = "paused_longer_than"

    def evaluate(self, inspector: Any, now: float) -> Verdict:
        since = inspector.broker.paused_since(self.queue)
        if since is None:
            return Verdict(False, f'queue "{self.queue}" is not paused')
        held = now - since
        return Verdict(
            held > self.seconds,
            f'queue "{self.queue}" paused for {held:.0f}s (limit {self.seconds}s)',
        )


@dataclass(frozen=True)
class NoServerAlive(Rule):
    """No worker server has a live heartbeat."""

    kind = "no_server_alive"

    @property
    def name(self) -> str:
        return "no_server_alive"

    def evaluate(self, inspector: Any, now: float) -> Verdict:
        n = len(inspector.servers())
        return Verdict(n == 0, f"{n} live servers")


@dataclass(frozen=True)
class FailedRateAbove(Rule):
    """Today's failed / processed ratio of ``queue`` is above ``ratio`` (after ``min_processed``)."""

    queue: str
    ratio: float
    min_processed: int = 20
    kind = "failed_rate_above"

    def evaluate(self, inspector: Any, now: float) -> Verdict:
        info = _info(inspector, self.queue)
        if info is None or info.processed < self.min_processed:
            return Verdict(False, f'queue "{self.queue}": too few processed today')
        rate = info.failed / info.processed
        return Verdict(
            rate > self.ratio,
            f'queue "{self.queue}" failed {rate:.1%} today (limit {self.ratio:.1%})',
        )


RULE_KINDS: dict[str, type[Rule]] = {
    cls.kind: cls
    for cls in (ArchivedAbove, LatencyAbove, PausedLongerThan, NoServerAlive, FailedRateAbove)
}


def rule_from_dict(spec: dict[str, Any]) -> Rule:
    """``{"kind": "archived_above", "queue": "default", "n": 100}`` -> ArchivedAbove(...)."""
    spec = dict(spec)
    kind = spec.pop("kind", None)
    cls = RULE_KINDS.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown alert rule kind {kind!r}; known: {', '.join(RULE_KINDS)}")
    try:
        return cls(**spec)
    except TypeError as exc:
        raise ValueError(f"bad {kind} rule {spec}: {exc}") from None


@dataclass
class AlertConfig:
    rules: list[Rule]
    webhook: str | None = None
    interval: float = 30.0


def load_config(path: str | Path) -> AlertConfig:
    """Read ``{webhook?, interval?, rules: [{kind, ...}]}`` from a YAML or JSON file."""
    text = Path(path).read_text("utf-8")
    if str(path).endswith(".json"):
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    if isinstance(data, list):
        data = {"rules": data}
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ValueError(f"{path}: expected a 'rules' list")
    return AlertConfig(
        rules=[rule_from_dict(r) for r in data["rules"]],
        webhook=data.get("webhook"),
        interval=float(data.get("interval", 30.0)),
    )


def http_post(url: str, body: bytes, timeout: float) -> int:
    """POST JSON with the standard library; returns the status (HTTP errors included)."""
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "pyasynq-alerts"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - operator's URL
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@dataclass
class RuleState:
    name: str
    kind: str
    firing: bool = False
    since: float | None = None
    detail: str = ""
    checked_at: float | None = None
    error: str = ""


@dataclass
class AlertManager:
    """Checks ``rules`` every ``interval`` seconds and notifies ``webhook_url`` on changes.

    ``source``: an Inspector, or anything Inspector accepts (URL, Broker...). ``clock``: a
    ``() -> float`` for "now". ``post``: the HTTP sender (tests may pass their own).
    """

    source: Any
    rules: list[Rule]
    webhook_url: str | None = None
    interval: float = 30.0
    clock: Callable[[], float] = time.time
    post: Post = http_post
    retries: int = 3
    backoff: float = 0.5
    timeout: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    states: dict[str, RuleState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._owns = not isinstance(self.source, Inspector)
        self.inspector = (
            self.source if isinstance(self.source, Inspector) else Inspector(self.source)
        )
        for rule in self.rules:
            self.states[rule.name] = RuleState(rule.name, rule.kind)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check_once(self) -> list[dict[str, Any]]:
        """Evaluate every rule once; returns the events (firing/resolved) it produced."""
        now = float(self.clock())
        events = []
        for rule in self.rules:
            state = self.states[rule.name]
            try:
                verdict = rule.evaluate(self.inspector, now)
            except Exception as exc:  # one failing rule (Redis down) must not stop the others
                state.error, state.checked_at = str(exc), now
                log.warning("alert rule %s could not be checked: %s", rule.name, exc)
                continue
            state.error, state.checked_at, state.detail = "", now, verdict.detail
            if verdict.firing == state.firing:
                continue
            state.firing = verdict.firing
            state.since = now
            events.append(
                {
                    "status": "firing" if verdict.firing else "resolved",
                    "rule": rule.name,
                    "kind": rule.kind,
                    "detail": verdict.detail,
                    "at": now,
                }
            )
        for event in events:
            self._emit(event)
        return events

    def _emit(self, event: dict[str, Any]) -> None:
        event["delivered"] = self.send(event) if self.webhook_url else None
        try:
            self.inspector.broker.record_alert_event(json.dumps(event))
        except Exception as exc:
            log.error("could not record alert event: %s", exc)

    def send(self, event: dict[str, Any]) -> bool:
        """POST the event; retry network errors and non-2xx answers with doubling backoff."""
        assert self.webhook_url
        body = json.dumps(event).encode()
        for attempt in range(self.retries + 1):
            try:
                status = self.post(self.webhook_url, body, self.timeout)
                if 200 <= status < 300:
                    return True
                log.warning("alert webhook answered %s (attempt %d)", status, attempt + 1)
                if 400 <= status < 500 and status not in (408, 429):
                    return False  # the receiver refuses it; retrying will not help
            except Exception as exc:
                log.warning("alert webhook failed (attempt %d): %s", attempt + 1, exc)
            if attempt < self.retries:
                self.sleep(self.backoff * (2**attempt))
        return False

    # -- running --------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_once()
            except Exception:
                log.exception("alert check failed")
            self._stop.wait(self.interval)

    def start(self) -> AlertManager:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="pyasynq-alerts", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        if self._owns:
            self.inspector.close()


def events_from(inspector: Any, count: int = 100) -> list[dict[str, Any]]:
    """Recent recorded events (newest first), as ``Records``: unreadable entries (or a list
    key of the wrong type) are left out and named in ``problems``."""
    out, problems = [], []
    try:
        found = inspector.broker.alert_events(count)
    except BadDataError as exc:
        return Records([], [f"{ALERT_EVENTS}: {exc}"])
    for i, raw in enumerate(found):
        try:
            event = json.loads(raw)
        except ValueError as exc:
            problems.append(f"{ALERT_EVENTS} element {i}: not JSON ({exc})")
            continue
        if isinstance(event, dict):
            out.append(event)
        else:
            problems.append(f"{ALERT_EVENTS} element {i}: not a JSON object")
    return Records(out, problems)


def manager_from_file(
    source: Any, path: str | Path, webhook: str | None = None, **kwargs: Any
) -> AlertManager:
    cfg = load_config(path)
    return AlertManager(source, cfg.rules, webhook or cfg.webhook, interval=cfg.interval, **kwargs)
