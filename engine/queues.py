"""Which queue to try first for each dequeue: weighted random or strict priority (spec §8)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from functools import reduce

DEFAULT_QUEUES = {"default": 1}


def normalize_queues(queues: Mapping[str, int] | None) -> dict[str, int]:
    """Drop blank names and priorities <= 0; fall back to ``{"default": 1}`` (as configured,
    not divided by the GCD: this is what the heartbeat reports)."""
    kept = {
        name: int(prio)
        for name, prio in (queues or {}).items()
        if isinstance(name, str) and name.strip() and int(prio) > 0
    }
    return kept or dict(DEFAULT_QUEUES)


def gcd_normalized(queues: Mapping[str, int]) -> dict[str, int]:
    g = reduce(math.gcd, queues.values())
    return {q: p // g for q, p in queues.items()}


class QueueOrder:
    """``order()`` gives the list of queue names one dequeue tries, in order.

    Weighted mode: each queue appears ``priority`` times (GCD-normalised), the list is shuffled
    and only first occurrences kept, so a queue comes first with probability p/Σp. Strict mode:
    a fixed list sorted by priority, highest first.
    """

    def __init__(
        self,
        queues: Mapping[str, int] | None,
        strict: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.configured = normalize_queues(queues)
        self.priorities = gcd_normalized(self.configured)
        self.strict = strict
        self._rng = rng or random.Random()
        self._fixed = sorted(self.priorities, key=lambda q: -self.priorities[q])
        self._bag = [q for q, p in self.priorities.items() for _ in range(p)]

    @property
    def names(self) -> list[str]:
        return list(self._fixed)

    def order(self) -> list[str]:
        if len(self._fixed) == 1 or self.strict:
            return list(self._fixed)
        bag = list(self._bag)
        self._rng.shuffle(bag)
        seen: dict[str, None] = {}
        for q in bag:
            seen.setdefault(q, None)
        return list(seen)
