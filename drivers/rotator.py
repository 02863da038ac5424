"""Sample rotation stage on one axis of a Newport ESP300, with angle limits.

pymeasure's ``ESP300`` axis can start a move and report ``motion_done``, but its
``wait_for_stop`` sleeps on the wall clock. ``Rotator`` waits through an injected
``sleep`` (the simulated bench's clock on the simulated bench), refuses angles outside
the limits before sending anything, and checks that the stage arrived: a controller
refusing a move (software limit, motor off) only says so in its error queue.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from pymeasure.instruments.newport.esp300 import Axis


class RotatorLimitError(ValueError):
    """Raised before anything is sent when an angle or speed is beyond the limits."""


class RotatorError(RuntimeError):
    """Raised when the stage does not end where it was sent, or not in time."""


class Rotator:
    """Axis ``axis`` of an ESP300 as a sample rotator, angles in degrees."""

    def __init__(self, controller: Any, axis: int = 1, *, min_angle: float = -180.0,
                 max_angle: float = 180.0, max_velocity: float = 20.0,
                 tolerance: float = 0.01, poll_interval: float = 0.1,
                 timeout: float = 120.0, sleep: Callable[[float], None] = time.sleep) -> None:
        if not min_angle < max_angle:
            raise ValueError(f"min_angle {min_angle} must lie below max_angle {max_angle}")
        self.controller = controller
        self.axis = Axis(axis, controller)
        self.min_angle = min_angle
        self.max_angle = max_angle
        self.max_velocity = max_velocity
        self.tolerance = tolerance
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.sleep = sleep

    def check_angle(self, angle: float) -> None:
        """Raise :class:`RotatorLimitError` if ``angle`` (deg) is outside the limits."""
        if not (math.isfinite(angle) and self.min_angle <= angle <= self.max_angle):
            raise RotatorLimitError(f"rotator angle {angle:g} deg is outside the limits "
                                    f"[{self.min_angle:g}, {self.max_angle:g}] deg")

    @property
    def angle(self) -> float:
        """Measure the actual angle of the stage (deg)."""
        return float(self.axis.position)

    @property
    def velocity(self) -> float:
        """Control the speed of moves (deg/s), at most ``max_velocity``."""
        return float(self.axis.values("VA?")[0])

    @velocity.setter
    def velocity(self, value: float) -> None:
        if not (math.isfinite(value) and 0 < value <= self.max_velocity):
            raise RotatorLimitError(f"rotator speed {value:g} deg/s is outside "
                                    f"(0, {self.max_velocity:g}] deg/s")
        self.axis.write(f"VA{value:g}")

    def move_to(self, angle: float, sleep: Callable[[float], None] | None = None) -> float:
        """Move to ``angle`` (deg), wait until the motion is done and return the angle."""
        self.check_angle(angle)
        if not self.axis.enabled:
            self.axis.enable()
        self.axis.position = angle
        self.wait_for_stop(sleep)
        reached = self.angle
        if abs(reached - angle) > self.tolerance:
            errors = "; ".join(str(e) for e in self.controller.errors) or "no error reported"
            raise RotatorError(f"rotator stopped at {reached:g} deg instead of {angle:g} deg "
                               f"({errors})")
        return reached

    def wait_for_stop(self, sleep: Callable[[float], None] | None = None) -> None:
        """Wait through ``sleep`` until the controller reports the motion done."""
        sleep = sleep or self.sleep
        waited = 0.0
        while not self.axis.motion_done:
            if waited >= self.timeout:
                raise RotatorError(f"rotator still moving after {self.timeout:g} s")
            sleep(self.poll_interval)
            waited += self.poll_interval

    def stop(self) -> None:
        """Stop the stage where it is."""
        self.axis.write("ST")
