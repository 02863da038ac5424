"""Station limits, checked before anything is sent to an instrument.

Every procedure asks a :class:`SafetyGuard` before it applies a current, a pulse, a
field, a ramp or a temperature; a request outside the limits raises
:class:`LimitError` naming the limit, the value and the fix, and nothing reaches the
hardware.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from labspin.stationfile import Limits, Sample


class LimitError(ValueError):
    """A request outside the station limits; nothing was sent to any instrument."""


def _fmt(value: float, unit: str) -> str:
    prefixes = [(1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, "")]
    scale, prefix = 1.0, ""
    for s, p in prefixes:
        if abs(value) >= s:
            scale, prefix = s, p
    return f"{value / scale:.4g} {prefix}{unit}"


@dataclass(frozen=True)
class SafetyGuard:
    """The limits of one station and sample, with one check per kind of request."""

    limits: Limits
    sample: Sample
    station: str = "station"

    def _refuse(self, what: str, value: str, limit_key: str, limit: str) -> None:
        raise LimitError(f"{what} {value} exceeds limits.{limit_key} = {limit} of station "
                         f"'{self.station}'; lower the request or, if the sample allows it, "
                         f"raise limits.{limit_key} in the station file")

    def current_density(self, current: float) -> float:
        return abs(current) / self.sample.current_area

    def check_current(self, current: float, what: str = "current") -> None:
        """A DC or peak AC current through the bar, A."""
        if not math.isfinite(current):
            raise LimitError(f"{what} must be a finite number of amperes, got {current!r}")
        if abs(current) > self.limits.max_current:
            self._refuse(what, _fmt(current, "A"), "max_current",
                         _fmt(self.limits.max_current, "A"))
        j = self.current_density(current)
        if j > self.limits.max_current_density:
            self._refuse(f"{what} density", f"{j:.3g} A/m²", "max_current_density",
                         f"{self.limits.max_current_density:.3g} A/m²")

    def check_pulse(self, amplitude: float, width: float, resistance: float) -> None:
        """A current pulse: amplitude, width and energy I² R t (R: two-terminal, ohm)."""
        self.check_current(amplitude, "pulse current")
        if not (math.isfinite(width) and width > 0):
            raise LimitError(f"pulse width must be a positive number of seconds, got {width!r}")
        if width > self.limits.max_pulse_width:
            self._refuse("pulse width", _fmt(width, "s"), "max_pulse_width",
                         _fmt(self.limits.max_pulse_width, "s"))
        energy = amplitude**2 * resistance * width
        if energy > self.limits.max_pulse_energy:
            self._refuse("pulse energy", _fmt(energy, "J"), "max_pulse_energy",
                         _fmt(self.limits.max_pulse_energy, "J"))

    def check_field(self, axis: str, field: float) -> None:
        """A field along a magnet axis, T."""
        if not math.isfinite(field):
            raise LimitError(f"field along {axis} must be a finite number of tesla, "
                             f"got {field!r}")
        limit = self.limits.max_field.get(axis)
        if limit is None:
            raise LimitError(f"station '{self.station}' has no limits.max_field.{axis}: no "
                             f"field may be applied along {axis} until one is set")
        if abs(field) > limit:
            self._refuse(f"field along {axis}", _fmt(field, "T"), f"max_field.{axis}",
                         _fmt(limit, "T"))

    def check_ramp_rate(self, rate: float) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise LimitError(f"ramp rate must be a positive number of T/s, got {rate!r}")
        if rate > self.limits.max_ramp_rate:
            self._refuse("field ramp rate", _fmt(rate, "T/s"), "max_ramp_rate",
                         _fmt(self.limits.max_ramp_rate, "T/s"))

    def check_rf(self, power_dbm: float, frequency: float) -> None:
        """An RF level at the generator's output (dBm, the peak envelope) and frequency."""
        for value, what, unit in ((power_dbm, "RF level", "dBm"), (frequency, "RF frequency",
                                                                       "Hz")):
            if not math.isfinite(value):
                raise LimitError(f"{what} must be a finite number of {unit}, got {value!r}")
        limit, band = self.limits.max_rf_power, self.limits.rf_frequency_range
        for key, given in (("max_rf_power", limit), ("rf_frequency_range", band)):
            if given is None:
                raise LimitError(f"station '{self.station}' has no limits.{key}: no RF may be "
                                 "sent until the station file sets it")
        if power_dbm > limit:
            self._refuse("RF level (peak envelope)", f"{power_dbm:.4g} dBm", "max_rf_power",
                         f"{limit:.4g} dBm")
        if not band[0] <= frequency <= band[1]:
            raise LimitError(f"RF frequency {frequency / 1e9:.4g} GHz is outside "
                             f"limits.rf_frequency_range = [{band[0] / 1e9:.4g} GHz, "
                             f"{band[1] / 1e9:.4g} GHz] of station '{self.station}'; choose "
                             "frequencies inside it or, if the bias tee and probe allow, "
                             "widen the range in the station file")

    def check_temperature(self, temperature: float) -> None:
        if not (math.isfinite(temperature) and temperature > 0):
            raise LimitError(f"temperature must be a positive number of kelvin, "
                             f"got {temperature!r}")
        if temperature > self.limits.max_temperature:
            self._refuse("stage temperature", f"{temperature:.4g} K", "max_temperature",
                         f"{self.limits.max_temperature:.4g} K")
