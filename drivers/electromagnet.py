"""Electromagnet: a bipolar supply, an optional gaussmeter, a calibration and limits.

pymeasure's ``KepcoBOP3612`` silently truncates an out-of-range setpoint and its
``shutdown()`` neither ramps nor switches off, so a careless step can dump the coil's
energy (L I^2 / 2) into the supply. This composite is the only way procedures touch a
magnet: every limit is checked before anything is sent, the current only ever moves in
small steps at no more than the allowed ramp rate, and shutting down ramps to zero
before the output goes off. Time passes through the injected ``sleep``, so the
simulated bench's clock can stand in for the wall clock.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: a gaussmeter reading above this magnitude (tesla) is an overload marker, not a field
OVERLOAD = 1e90


class FieldLimitError(ValueError):
    """Raised before anything is sent when a request exceeds one of the magnet's limits."""

    def __init__(self, limit: str, requested: float, allowed: float, unit: str) -> None:
        self.limit = limit
        self.requested = requested
        self.allowed = allowed
        self.unit = unit
        super().__init__(f"{limit} exceeded: requested {requested:g} {unit}, "
                         f"allowed at most {allowed:g} {unit}")


class MagnetError(RuntimeError):
    """Raised when the magnet cannot do what was asked (supply state, gaussmeter)."""


class FieldNotReachedError(MagnetError):
    """Raised when the current or the field does not settle where it was sent."""


class RampStopped(MagnetError):
    """Raised when a ramp is left before its target because ``should_stop`` said so (a
    run asked to stop: Make safe, Abort); the coil keeps the current it had reached, and
    the shutdown that follows ramps it to zero at the allowed rate."""


@dataclass(frozen=True)
class FieldCalibration:
    """Linear field <-> current relation of a magnet: ``B = coil_constant * I + offset``.

    ``offset`` holds the remanence of the yoke and the gaussmeter's zero error.
    """

    coil_constant: float  # T/A
    offset: float = 0.0  # T

    def __post_init__(self) -> None:
        if not math.isfinite(self.coil_constant) or self.coil_constant == 0:
            raise ValueError(f"coil constant must be finite and non-zero, "
                             f"got {self.coil_constant!r} T/A")

    def field(self, current: float) -> float:
        """Return the field (T) a current (A) makes."""
        return self.coil_constant * current + self.offset

    def current(self, field: float) -> float:
        """Return the current (A) that makes a field (T)."""
        return (field - self.offset) / self.coil_constant


@dataclass(frozen=True)
class MagnetLimits:
    """What the magnet may do: largest field (T), ramp rate (T/s) and current (A)."""

    max_field: float
    max_ramp_rate: float
    max_current: float

    def __post_init__(self) -> None:
        for name in ("max_field", "max_ramp_rate", "max_current"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"magnet limit {name} must be positive, got {value!r}")


class Electromagnet:
    """One magnet axis: a pymeasure ``KepcoBOP3612`` plus an optional ``LakeShore425``.

    ``coil_constant`` (T/A) and ``offset`` (T) are the starting calibration (see
    :meth:`calibrate`); ``max_field``, ``max_ramp_rate`` and ``max_current`` are the
    limits (a ``max_current`` above the supply's rating is lowered to it); ``voltage_limit``
    is the compliance programmed in current mode (default: the supply's voltage rating);
    each ramp step waits ``step_interval`` seconds through ``sleep``. Feedback in
    :meth:`set_field` never takes the calibrated field further than ``max_correction``
    (relative) from the target, so a misplaced or broken gaussmeter cannot drive the
    magnet beyond its field limit.
    """

    def __init__(self, supply: Any, gaussmeter: Any | None = None, *,
                 coil_constant: float, offset: float = 0.0, max_field: float,
                 max_ramp_rate: float, max_current: float, voltage_limit: float | None = None,
                 step_interval: float = 0.1, current_tolerance: float = 1e-3,
                 settle_timeout: float = 30.0, readings: int = 5, max_correction: float = 0.1,
                 sleep: Callable[[float], None] = time.sleep, name: str = "magnet") -> None:
        self.supply = supply
        self.gaussmeter = gaussmeter
        self.calibration = FieldCalibration(coil_constant, offset)
        # pymeasure's driver truncates to the supply's rating (a private class attribute):
        # a current limit above it must be refused here, not clamped there
        rating = getattr(type(supply), "_Imax", None)
        self._current_limit_name = f"{name} current limit"
        if rating is not None and max_current > rating:
            log.warning("%s: max_current %g A is above the supply's rating; using %g A",
                        name, max_current, rating)
            max_current = float(rating)
            self._current_limit_name = f"{name} current limit (supply rating)"
        self.limits = MagnetLimits(max_field, max_ramp_rate, max_current)
        v_rating = getattr(type(supply), "_Vmax", None)
        if voltage_limit is None:
            voltage_limit = float(v_rating) if v_rating is not None else 20.0
        if not voltage_limit > 0 or (v_rating is not None and voltage_limit > v_rating):
            raise ValueError(f"{name}: voltage_limit must lie in (0, {v_rating}] V, "
                             f"got {voltage_limit!r}")
        if step_interval <= 0 or readings < 1:
            raise ValueError("step_interval must be positive and readings at least 1")
        self.voltage_limit = voltage_limit
        self.step_interval = step_interval
        self.current_tolerance = current_tolerance
        self.settle_timeout = settle_timeout
        self.readings = readings
        self.max_correction = max_correction
        self.sleep = sleep
        self.name = name
        self._setpoint: float | None = None  # last programmed current, A
        #: current a ramp by writes only started from, until a shutdown is confirmed
        self.unconfirmed_from: float | None = None
        #: asked at every step of a ramp away from zero (a running run's stop request):
        #: when it says True the ramp ends with RampStopped instead of waiting for a coil
        #: that may never get there; ramps to zero (the shutdown) are never cut short
        self.should_stop: Callable[[], bool] | None = None
        self._gaussmeter_ready = False
        #: the supply was found or switched on in current mode by this object and nothing
        #: happened since that could change it (see :meth:`forget_state`)
        self._known_on = False

    def forget_state(self) -> None:
        """Forget that the supply is on and the gaussmeter set up: the next ramp asks the
        supply again. For anything that may have changed them behind this object's back
        (an instrument fault, a reset, a shutdown)."""
        self._known_on = False
        self._gaussmeter_ready = False

    # -- limits -------------------------------------------------------------------------
    def check_field(self, field: float) -> None:
        """Raise :class:`FieldLimitError` if ``field`` (T) is beyond the field limit."""
        if not math.isfinite(field) or abs(field) > self.limits.max_field:
            raise FieldLimitError(f"{self.name} field limit", field,
                                  self.limits.max_field, "T")

    def check_current(self, current: float) -> None:
        """Raise :class:`FieldLimitError` if ``current`` (A) is beyond the current limit."""
        if not math.isfinite(current) or abs(current) > self.limits.max_current:
            raise FieldLimitError(self._current_limit_name, current,
                                  self.limits.max_current, "A")

    def check_rate(self, rate: float | None) -> float:
        """Return the ramp rate to use (T/s), the limit if ``None``; raise if above it."""
        if rate is None:
            return self.limits.max_ramp_rate
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"{self.name}: ramp rate must be positive, got {rate!r} T/s")
        if rate > self.limits.max_ramp_rate:
            raise FieldLimitError(f"{self.name} ramp rate limit", rate,
                                  self.limits.max_ramp_rate, "T/s")
        return rate

    # -- readings -----------------------------------------------------------------------
    @property
    def current(self) -> float:
        """Measure the current through the coil (A)."""
        return float(self.supply.current)

    @property
    def field(self) -> float:
        """Measure the field (T): one gaussmeter reading, or the calibration applied to
        the measured current without a gaussmeter."""
        if self.gaussmeter is None:
            return self.calibration.field(self.current)
        self._prepare_gaussmeter()
        value = float(self.gaussmeter.field)
        if not math.isfinite(value) or abs(value) > OVERLOAD:
            raise MagnetError(f"{self.name}: the gaussmeter is overloaded")
        return value

    def measure_field(self, readings: int | None = None) -> float:
        """Measure the field (T) as the mean of ``readings`` gaussmeter readings."""
        count = self.readings if readings is None else readings
        return float(np.mean([self.field for _ in range(max(count, 1))]))

    def _prepare_gaussmeter(self) -> None:
        if not self._gaussmeter_ready:
            self.gaussmeter.unit = "T"
            self.gaussmeter.auto_range()
            self._gaussmeter_ready = True

    # -- supply -------------------------------------------------------------------------
    def enable(self) -> None:
        """Switch the supply on in current mode at zero current, if it is off.

        A supply already on in voltage mode is refused: changing mode under current
        would step it. Once found or switched on, the supply is not asked again until
        something voids that (:meth:`forget_state`, a shutdown, a failed ramp): a supply
        that tripped off meanwhile is caught by the ramp, whose coil current then does
        not follow the setpoint.
        """
        if self._known_on and self._setpoint is not None:
            return
        if self.supply.output_enabled:
            if self.supply.operating_mode != "CURR":
                raise MagnetError(f"{self.name}: the supply is on in voltage mode; ramp it "
                                  "down and switch it off first")
            if self._setpoint is None:
                self._setpoint = float(self.supply.current_setpoint)
            self._known_on = True
            return
        self.supply.operating_mode = "CURR"
        self.supply.voltage_setpoint = self.voltage_limit
        self.supply.current_setpoint = 0.0
        self._setpoint = 0.0
        self.supply.output_enabled = True
        self._known_on = True

    def _ramp_current(self, current: float, rate: float) -> None:
        """Step the current to ``current`` (A) at no more than ``rate`` (T/s) and wait
        until the coil carries it. Limits are checked by the callers.

        Each step starts from the *measured* current, so a coil whose inductance keeps
        it behind the staircase is never asked for more than one step per interval, and
        cannot catch up faster than the allowed rate.
        """
        try:
            self._step_current(current, rate, interruptible=current != 0.0)
        except BaseException:
            self.forget_state()
            raise

    def _step_current(self, current: float, rate: float, interruptible: bool) -> None:
        self.enable()
        setpoint = self._setpoint if self._setpoint is not None else 0.0
        step = rate / abs(self.calibration.coil_constant) * self.step_interval
        budget = abs(current - setpoint) / step * self.step_interval + self.settle_timeout
        waited = 0.0
        while True:
            actual = self.current
            if setpoint == current and abs(actual - current) <= self.current_tolerance:
                return
            if interruptible and self.should_stop is not None and self.should_stop():
                raise RampStopped(f"{self.name}: the ramp to {current:g} A was stopped at "
                                  f"{actual:g} A because the run was asked to stop")
            if setpoint != current:
                setpoint = current if abs(current - actual) <= step else \
                    actual + math.copysign(step, current - actual)
                self.supply.current_setpoint = setpoint
                self._setpoint = setpoint
            if waited >= budget:
                raise FieldNotReachedError(
                    f"{self.name}: the coil carries {actual:g} A, not {current:g} A, after "
                    f"{waited:g} s (compliance {self.voltage_limit:g} V too low, or the "
                    "supply's output went off?)")
            self.sleep(self.step_interval)
            waited += self.step_interval

    # -- fields -------------------------------------------------------------------------
    def ramp_to(self, field: float, rate: float | None = None) -> None:
        """Ramp to ``field`` (T) by the calibration, at ``rate`` (T/s, default the limit)."""
        rate = self.check_rate(rate)
        self.check_field(field)
        current = self.calibration.current(field)
        self.check_current(current)
        log.info("%s: ramping to %.6g T (%.6g A) at %.3g T/s", self.name, field, current, rate)
        self._ramp_current(current, rate)

    def set_field(self, field: float, tolerance: float = 1e-4, max_iterations: int = 10,
                  rate: float | None = None) -> float:
        """Ramp to ``field`` (T), then correct the current from gaussmeter readings until
        the field is within ``tolerance`` (T); return the last measured field.

        Without a gaussmeter this is :meth:`ramp_to` and returns the calibrated field.
        """
        rate = self.check_rate(rate)
        self.ramp_to(field, rate)
        if self.gaussmeter is None:
            return self.field
        for _ in range(max_iterations):
            measured = self.measure_field()
            error = field - measured
            if abs(error) <= tolerance:
                return measured
            current = (self._setpoint or 0.0) + error / self.calibration.coil_constant
            allowed = self.max_correction * max(abs(field), 0.1 * self.limits.max_field)
            if abs(self.calibration.field(current) - field) > allowed:
                raise FieldNotReachedError(
                    f"{self.name}: the gaussmeter reads {measured:.6g} T where the "
                    f"calibration expects {field:.6g} T; check the probe and calibrate()")
            self.check_current(current)
            self._ramp_current(current, rate)
        measured = self.measure_field()
        if abs(field - measured) <= tolerance:
            return measured
        raise FieldNotReachedError(f"{self.name}: field {measured:.6g} T after "
                                   f"{max_iterations} corrections, wanted {field:.6g} T "
                                   f"within {tolerance:g} T")

    def calibrate(self, currents: Sequence[float], rate: float | None = None,
                  ) -> FieldCalibration:
        """Step the supply through ``currents`` (A), read the gaussmeter at each and fit
        ``B = k I + offset``; keep and return the new calibration. The supply returns to
        the current it started from."""
        if self.gaussmeter is None:
            raise MagnetError(f"{self.name}: calibrating needs a gaussmeter")
        rate = self.check_rate(rate)
        points = [float(i) for i in currents]
        if len(set(points)) < 2:
            raise ValueError("calibrate needs at least two different currents")
        for current in points:
            self.check_current(current)
            self.check_field(self.calibration.field(current))
        start = float(self.supply.current_setpoint) if self.supply.output_enabled else 0.0
        fields = []
        for current in points:
            self._ramp_current(current, rate)
            fields.append(self.measure_field())
        slope, intercept = np.polyfit(points, fields, 1)
        self._ramp_current(start, rate)
        self.calibration = FieldCalibration(float(slope), float(intercept))
        log.info("%s: calibrated %.6g T/A, offset %.3g T", self.name, slope, intercept)
        return self.calibration

    def ramp_to_zero(self, rate: float | None = None) -> None:
        """Ramp the supply current (not the calibrated field) to zero."""
        rate = self.check_rate(rate)
        self._ramp_current(0.0, rate)

    @property
    def programmed_current(self) -> float | None:
        """The current (A) last sent to the supply (None: none since it was switched off
        or connected): what the coil may still carry if the supply stops answering."""
        return self._setpoint

    def shutdown(self) -> None:
        """Ramp to zero current at the allowed rate, switch the output off, and read back
        that it is off."""
        self.forget_state()
        if self.supply.output_enabled:
            self.ramp_to_zero()
            self.forget_state()
            self.supply.output_enabled = False
            if self.supply.output_enabled:
                raise MagnetError(f"{self.name}: the supply still reports its output on "
                                  "after being switched off")
            log.info("%s: ramped to zero and switched off", self.name)
        self._setpoint = None
        self.unconfirmed_from = None

    def shutdown_by_writes(self, rate: float | None = None, settle: float = 2.0) -> float:
        """Ramp to zero and switch off without reading anything back, for a supply that
        accepts commands but no longer answers (a timed-out GPIB instrument often does).

        The setpoint steps from the last programmed current to zero at the allowed
        ``rate``, one step per ``step_interval`` of ``sleep`` (the same staircase as a
        normal ramp, but timed instead of following the measured current); after
        ``settle`` seconds for the coil to follow, the output goes off. Returns the
        current it started from. Nothing confirms that the coil followed: say so.
        Raises :class:`MagnetError` if no current was ever programmed (then it is not
        known where a ramp would start).
        """
        rate = self.check_rate(rate)
        self.forget_state()
        start = self._setpoint
        if start is None:
            raise MagnetError(f"{self.name}: no current was programmed since it was "
                              "connected, so a ramp by writes has no known start")
        if self.unconfirmed_from is None:
            self.unconfirmed_from = start
        step = rate / abs(self.calibration.coil_constant) * self.step_interval
        current = start
        while current != 0.0:
            current = 0.0 if abs(current) <= step else current - math.copysign(step, current)
            self.supply.current_setpoint = current
            self._setpoint = current
            self.sleep(self.step_interval)
        self.sleep(settle)
        self.supply.output_enabled = False
        if start:
            log.warning("%s: ramped to zero from %g A by writes only and switched off; the "
                        "supply does not answer, so this is not confirmed", self.name, start)
        else:  # already stepped to zero by an earlier call: nothing new to say
            log.debug("%s: output switched off again by writes only", self.name)
        return start
