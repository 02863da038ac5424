"""Fault injection: what goes wrong at a real probe station, on demand and seeded.

Set per instrument from a station file (``faults:`` of the ``sim`` section) or from a
test with ``Bench.inject_fault``; counted in messages the instrument has received, so a
fault lands at the same point of a run every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class InstrumentFaults:
    """What goes wrong with one instrument, and after how many messages."""

    timeout_after: int | None = None  # then it stops answering: every read times out
    drop_after: int | None = None  # then the connection is lost (cable, USB hub, GPIB)
    garbage_after: int | None = None  # then every reply is line noise
    garbage_probability: float = 0.0  # each reply is line noise with this probability

    def __post_init__(self) -> None:
        for name in ("timeout_after", "drop_after", "garbage_after"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"fault {name} must be a whole number of messages >= 0, "
                                 f"got {value!r}")
        if not 0.0 <= self.garbage_probability <= 1.0:
            raise ValueError("fault garbage_probability must lie between 0 and 1")


class FaultState:
    """The running count of one instrument's messages against its faults."""

    def __init__(self, faults: InstrumentFaults | None = None, seed: int = 0) -> None:
        self.faults = faults or InstrumentFaults()
        self.messages = 0
        self._rng = random.Random(seed)

    def count_message(self) -> None:
        self.messages += 1

    def _reached(self, limit: int | None) -> bool:
        return limit is not None and self.messages >= limit

    def connection_lost(self) -> bool:
        return self._reached(self.faults.drop_after)

    def filter_reply(self, reply: str) -> str | None:
        """The reply as it reaches the computer: ``None`` if it never arrives."""
        if self._reached(self.faults.timeout_after):
            return None
        garbled = self._reached(self.faults.garbage_after) or (
            self.faults.garbage_probability > 0
            and self._rng.random() < self.faults.garbage_probability)
        if garbled:
            return "".join(self._rng.choice("#%&*@!?~^") for _ in range(max(len(reply), 4)))
        return reply
