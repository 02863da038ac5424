"""Bench clocks: virtual time by default, real time for demos, following the wall for
clients outside labspin.

Every wait on the simulated bench (an integration time, a pulse, a magnet ramp, a
settling delay) goes through the bench clock. The virtual clock advances instantly, so
an overnight queue rehearses in seconds; the real-time clock sleeps as the hardware
would.

A client that is not labspin (a pyvisa script with ``ResourceManager("py-nio@labspin")``,
any language over ``labspin sim serve``) has no way to ask the bench to wait: it waits
on its own wall clock. For such a bench, ``follow_wall()`` makes the wall time that
passes between its messages pass on the bench too (``Bench.catch_up``), on top of the
explicit waits, which still jump ahead at once. So bench time runs at least as fast as
the wall. labspin's own stations never follow the wall: their time is the sum of their
explicit waits alone, so a seeded run gives the same data however long it took.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: the wall clock a bench follows (seconds, monotonic); injectable for tests
WallClock = Callable[[], float]


class VirtualClock:
    """Simulated time in seconds since the bench was created; ``sleep`` is instant."""

    realtime = False

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self._wall: WallClock | None = None
        self._wall_mark = 0.0

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._now += float(seconds)

    @property
    def follows_wall(self) -> bool:
        return self._wall is not None

    def follow_wall(self, wall: WallClock = time.monotonic) -> None:
        """From now on, wall time passes on this clock too (see ``take_wall_time``)."""
        with self._lock:
            self._wall, self._wall_mark = wall, wall()

    def take_wall_time(self, minimum: float = 0.0) -> float:
        """Wall time since it was last taken, once it is at least ``minimum``; the clock
        moves on by it and returns it (0 when the clock does not follow the wall)."""
        if self._wall is None:
            return 0.0
        with self._lock:
            elapsed = self._wall() - self._wall_mark
            if elapsed <= 0 or elapsed < minimum:
                return 0.0
            self._wall_mark += elapsed
            self._now += elapsed
        return elapsed


class RealTimeClock:
    """Wall-clock time since creation; ``sleep`` really sleeps (for GUI demos)."""

    realtime = True

    def __init__(self, speedup: float = 1.0, wall: WallClock = time.monotonic) -> None:
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        self._wall = wall
        self._start = wall()
        self._speedup = float(speedup)
        self._following = False
        self._lock = threading.Lock()
        self._accounted = 0.0  # bench time already handed to the bench's physics

    def now(self) -> float:
        return (self._wall() - self._start) * self._speedup

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self._speedup)
            with self._lock:
                self._accounted += float(seconds)

    @property
    def follows_wall(self) -> bool:
        return self._following

    def follow_wall(self, wall: WallClock | None = None) -> None:
        """Hand the time that passed outside ``sleep`` to the bench (``take_wall_time``).
        ``wall`` replaces the wall clock, keeping the present bench time."""
        with self._lock:
            if wall is not None:
                now = self.now()
                self._wall = wall
                self._start = wall() - now / self._speedup
            self._following = True
            self._accounted = self.now()

    def take_wall_time(self, minimum: float = 0.0) -> float:
        """Bench time that passed since it was last taken, not counting ``sleep``s."""
        if not self._following:
            return 0.0
        with self._lock:
            elapsed = self.now() - self._accounted
            if elapsed <= 0 or elapsed < minimum:
                return 0.0
            self._accounted += elapsed
        return elapsed


Clock = VirtualClock | RealTimeClock
