"""Stage temperature through loop 1 / input A of a Lake Shore 331 (or 3xx), with limits.

pymeasure's ``wait_for_temperature`` sleeps on the wall clock and compares a relative
accuracy; ``StageTemperature`` waits through an injected ``sleep``, switches the heater
on when it is off, and refuses setpoints outside the sample's limits before sending.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any


class TemperatureLimitError(ValueError):
    """Raised before anything is sent when a setpoint is outside the limits."""


class TemperatureTimeoutError(RuntimeError):
    """Raised when the stage does not settle at the setpoint in time."""


class StageTemperature:
    """Loop ``loop`` heating the stage, read on input ``sensor``; kelvin throughout."""

    def __init__(self, controller: Any, *, loop: int = 1, sensor: str = "A",
                 min_temperature: float = 2.0, max_temperature: float = 400.0,
                 heater_range: str = "high", poll_interval: float = 1.0,
                 stable_readings: int = 3, timeout: float = 3600.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not 0 <= min_temperature < max_temperature:
            raise ValueError("need 0 <= min_temperature < max_temperature")
        if heater_range == "off":
            raise ValueError("heater_range is the range switched on to heat; not 'off'")
        self.controller = controller
        self.output = getattr(controller, f"output_{loop}")
        self.input = getattr(controller, f"input_{sensor}")
        self.min_temperature = min_temperature
        self.max_temperature = max_temperature
        self.heater_range = heater_range
        self.poll_interval = poll_interval
        self.stable_readings = max(int(stable_readings), 1)
        self.timeout = timeout
        self.sleep = sleep

    def check_temperature(self, temperature: float) -> None:
        """Raise :class:`TemperatureLimitError` if ``temperature`` (K) is out of limits."""
        if not (math.isfinite(temperature)
                and self.min_temperature <= temperature <= self.max_temperature):
            raise TemperatureLimitError(
                f"stage temperature {temperature:g} K is outside the limits "
                f"[{self.min_temperature:g}, {self.max_temperature:g}] K")

    @property
    def temperature(self) -> float:
        """Measure the stage temperature (K)."""
        return float(self.input.kelvin)

    @property
    def setpoint(self) -> float:
        """Get the loop setpoint (K)."""
        return float(self.output.setpoint)

    def set_and_wait(self, temperature: float, tolerance: float = 0.1,
                     sleep: Callable[[float], None] | None = None) -> float:
        """Set ``temperature`` (K), heat, and wait until ``stable_readings`` readings in a
        row lie within ``tolerance`` (K); return the last reading."""
        self.check_temperature(temperature)
        sleep = sleep or self.sleep
        self.output.setpoint = temperature
        if self.output.range == "off":
            self.output.range = self.heater_range
        waited = 0.0
        in_band = 0
        while True:
            reading = self.temperature
            in_band = in_band + 1 if abs(reading - temperature) <= tolerance else 0
            if in_band >= self.stable_readings:
                return reading
            if waited >= self.timeout:
                raise TemperatureTimeoutError(
                    f"stage at {reading:.3f} K after {self.timeout:g} s, wanted "
                    f"{temperature:g} K within {tolerance:g} K")
            sleep(self.poll_interval)
            waited += self.poll_interval

    def heater_off(self) -> None:
        """Switch the heater off; the stage drifts back to its base temperature."""
        self.output.range = "off"
