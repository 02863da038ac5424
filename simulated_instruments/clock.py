"""Bench clocks: virtual time by default, real time for demos.

Every wait on the simulated bench (an integration time, a pulse, a magnet ramp, a
settling delay) goes through the bench clock. The virtual clock advances instantly, so
an overnight queue rehearses in seconds; the real-time clock sleeps as the hardware
would.
"""

from __future__ import annotations

import threading
import time


class VirtualClock:
    """Simulated time in seconds since the bench was created; ``sleep`` is instant."""

    realtime = False

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._now += float(seconds)


class RealTimeClock:
    """Wall-clock time since creation; ``sleep`` really sleeps (for GUI demos)."""

    realtime = True

    def __init__(self, speedup: float = 1.0) -> None:
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        self._start = time.monotonic()
        self._speedup = float(speedup)

    def now(self) -> float:
        return (time.monotonic() - self._start) * self._speedup

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self._speedup)


Clock = VirtualClock | RealTimeClock
