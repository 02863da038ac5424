"""Harmonic Hall: V_xy^1w and V_xy^2w of an AC current, against field, for the
spin-orbit fields.

Two modes:

* ``field sweep`` (perpendicular magnets; Hayashi et al., PRB 89, 144425 (2014)): the
  field is swept through zero along x, then (``sweep_both_axes``) along y, with
  |B| below about 0.7 B_K (the fit uses the exact macrospin forms, not the small-angle
  parabola and line); both sweeps are needed to undo the planar Hall mixing.
* ``angle scan`` (in-plane magnets; Avci et al., PRB 90, 224427 (2014)): an in-plane
  field of each of several magnitudes turns through 360 deg (x and y magnets);
  V_2w(phi) = A(B) cos phi + C(B) (2 cos^3 phi - cos phi) separates the damping-like,
  thermal and field-like parts. Keep B well above the in-plane anisotropy field.

An optional field along z (``initial_field_z``, in either mode) is applied and ramped
back to zero before the first point: on a perpendicular bar it sets the sign of m_z.

``labspin.analysis.models.harmonic`` fits both. Lock-in convention of the apparatus:
V = V_0 + V_1w sin wt - V_2w cos 2wt for I = I_0 sin wt (peak volts).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator, Sequence
from typing import ClassVar

import numpy as np
from pymeasure.experiment import (
    BooleanParameter,
    FloatParameter,
    ListParameter,
    Parameter,
)

from labspin.procedures.base import SpintronicsProcedure, cleanup_quietly
from labspin.procedures.loops import ACDrive, ACDriven, HarmonicReader
from labspin.procedures.timing import (
    DEFAULT_RAMP_RATE,
    Traffic,
    harmonic_reading,
    lockin_seconds,
    ramp,
    ramp_seconds,
)
from labspin.safety import SafetyGuard

log = logging.getLogger(__name__)

FIELD_SWEEP, ANGLE_SCAN = "field sweep", "angle scan"
AXIS_CODE = {"x": 0, "y": 1}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class FieldListError(ValueError):
    """A list of field magnitudes that cannot be read."""


class TextParameter(Parameter):
    """A free-text parameter with ``units = None``: ``labspin procedures`` and the queue
    planner read ``units`` from every parameter, and pymeasure's ``Parameter`` has none.
    The unit goes in the label, never in ``units``: the planner would hand the text to
    pint, which reads ``"0.1, 0.2, 0.3"`` as the product 0.006."""

    units = None


class FlagParameter(BooleanParameter):
    """pymeasure's ``BooleanParameter`` with ``units = None``, for the same readers."""

    units = None


def parse_field_magnitudes(text: str | float | Sequence[float]) -> list[float]:
    """Field magnitudes (T) from text like ``"0.1, 0.2, 0.3"`` (or a number, or a list of
    numbers): plain numbers in tesla, positive, finite and all different; anything else
    raises :class:`FieldListError` saying what to write instead."""
    example = "write magnitudes in tesla separated by commas, like '0.1, 0.2, 0.3'"
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = [text]
    if isinstance(text, str):
        items = [item.strip() for item in text.split(",")]
        if not text.strip() or any(not item for item in items):
            raise FieldListError(f"field magnitudes {text!r}: an empty entry; {example}")
        bad = [item for item in items if not _NUMBER.fullmatch(item)]
        if bad:
            raise FieldListError(f"field magnitudes {text!r}: {bad[0]!r} is not a plain "
                                 f"number (no units: the values are in T); {example}")
        values = [float(item) for item in items]
    else:
        try:
            values = [float(v) for v in text]
        except (TypeError, ValueError):
            raise FieldListError(f"field magnitudes {text!r}: {example}") from None
        if not values:
            raise FieldListError(f"no field magnitudes given; {example}")
    for v in values:
        if not (math.isfinite(v) and v > 0):
            raise FieldListError(f"field magnitude {v!r} T: each must be a positive number "
                                 f"of tesla; {example}")
    if len(set(values)) != len(values):
        raise FieldListError(f"field magnitudes {values}: a magnitude is repeated")
    return values


class HarmonicHall(ACDriven, SpintronicsProcedure):
    """First and second harmonic Hall voltages against field (Hayashi field sweeps or
    Avci angle scans)."""

    DESCRIPTION = "Harmonic Hall: V_xy 1w and 2w against field (spin-orbit fields)"
    DATA_COLUMNS: ClassVar[list[str]] = [
        "Field setpoint (T)", "Field (T)", "Field angle (deg)", "Field angle read (deg)",
        "Field axis", "V_xy 1w (V)", "V_xy 2w (V)", "R_xy 1w (ohm)", "R_xy 2w (ohm)",
        "Time (s)"]
    """Field sweeps: ``Field (T)`` is the signed field along the swept axis (read back),
    ``Field axis`` 0 for x and 1 for y, ``Field angle (deg)`` 0 or 90. Angle scans:
    ``Field (T)`` is the magnitude of the in-plane field read back by the x and y
    gaussmeters, ``Field setpoint (T)`` the nominal magnitude of the scan,
    ``Field angle (deg)`` the nominal angle from x (the current), ``Field angle read (deg)``
    the angle of the field the x and y gaussmeters read (a yoke's remanence turns the
    field by up to remanence / B from the nominal angle; NaN in field sweeps) and
    ``Field axis`` NaN."""

    mode = ListParameter("Mode", choices=[ANGLE_SCAN, FIELD_SWEEP], default=ANGLE_SCAN)
    current = FloatParameter("AC current amplitude", units="A", default=1e-3,
                             minimum=1e-9, maximum=0.105)
    frequency = FloatParameter("AC frequency", units="Hz", default=1333.0, minimum=1.0,
                               maximum=50e3)
    time_constant = FloatParameter("Lock-in time constant", units="s", default=0.1,
                                   minimum=1e-5, maximum=3e4)
    sensitivity = FloatParameter("Lock-in sensitivity 2w", units="V", default=20e-6,
                                 minimum=2e-9, maximum=1.0)
    sensitivity_1w = FloatParameter("Lock-in sensitivity 1w", units="V", default=50e-3,
                                    minimum=2e-9, maximum=1.0)
    settle_time = FloatParameter("Settle time", units="s", default=0.1, minimum=0.0,
                                 maximum=600.0)
    # field sweep
    field_max = FloatParameter("Maximum field", units="T", default=6e-3, minimum=1e-6,
                               maximum=10.0, group_by="mode", group_condition=FIELD_SWEEP)
    field_step = FloatParameter("Field step", units="T", default=1e-3, minimum=1e-6,
                                maximum=10.0, group_by="mode", group_condition=FIELD_SWEEP)
    sweep_both_axes = FlagParameter("Sweep along y too", default=True, group_by="mode",
                                    group_condition=FIELD_SWEEP)
    initial_field_z = FloatParameter("Initialising field along z", units="T", default=0.0,
                                     minimum=-10.0, maximum=10.0)
    """Applied along z and ramped back to zero before the sweeps or scans (either mode),
    to set m_z (its sign sets the state); 0 leaves the magnet as it is."""
    # angle scan
    field_magnitudes = TextParameter("Field magnitudes (T)", default="0.1, 0.2, 0.3",
                                     group_by="mode", group_condition=ANGLE_SCAN)
    """Comma-separated, in tesla: ``"0.1, 0.2, 0.3"``."""
    angle_step = FloatParameter("Angle step", units="deg", default=15.0, minimum=0.1,
                                maximum=180.0, group_by="mode", group_condition=ANGLE_SCAN)

    _guard: SafetyGuard | None = None

    # -- plan ---------------------------------------------------------------------------
    def sweep_axes(self) -> list[str]:
        return ["x", "y"] if self.sweep_both_axes else ["x"]

    def sweep_fields(self) -> np.ndarray:
        """-field_max to +field_max; the step is adjusted so both ends are included."""
        n = round(2 * self.field_max / self.field_step) + 1
        if n < 4:
            raise ValueError(f"a field step of {self.field_step:g} T leaves fewer than 4 "
                             f"fields between +-{self.field_max:g} T (a parabola needs "
                             "more); make it smaller")
        return np.round(np.linspace(-self.field_max, self.field_max, n), 12)

    def angles(self) -> np.ndarray:
        n = round(360.0 / self.angle_step)
        if n < 4 or abs(n * self.angle_step - 360.0) > 1e-6:
            raise ValueError(f"an angle step of {self.angle_step:g} deg must divide 360 deg "
                             "into at least 4 angles (the scan must be uniform)")
        return np.arange(n) * (360.0 / n)

    def magnitudes(self) -> list[float]:
        return parse_field_magnitudes(self.field_magnitudes)

    def points(self) -> Iterator[tuple[str | None, float, float]]:
        """(axis or None for a rotation, field or magnitude (T), angle (deg)) in order."""
        if self.mode == FIELD_SWEEP:
            for axis in self.sweep_axes():
                for b in self.sweep_fields():
                    yield axis, float(b), 90.0 * AXIS_CODE[axis]
        else:
            for b in self.magnitudes():
                for angle in self.angles():
                    yield None, b, float(angle)

    def check_limits(self, guard: SafetyGuard) -> None:
        self._guard = guard
        guard.check_current(self.current, "AC current amplitude")
        if self.mode == FIELD_SWEEP:
            self.sweep_fields()
            for axis in self.sweep_axes():
                guard.check_field(axis, self.field_max)
        else:
            angles = np.radians(self.angles())
            largest = max(self.magnitudes())
            guard.check_field("x", largest * float(np.max(np.abs(np.cos(angles)))))
            guard.check_field("y", largest * float(np.max(np.abs(np.sin(angles)))))
        if self.initial_field_z:  # applied in either mode
            guard.check_field("z", self.initial_field_z)

    def planned_points(self) -> int:
        if self.mode == FIELD_SWEEP:
            return len(self.sweep_axes()) * self.sweep_fields().size
        return len(self.magnitudes()) * self.angles().size

    def ramp_rate(self) -> float:
        guard = self.station.guard if self.station is not None else self._guard
        return guard.limits.max_ramp_rate if guard is not None else DEFAULT_RAMP_RATE

    def _axis_changes(self) -> list[list[float]]:
        """Per point, the change of each magnet axis that moves to reach it (T): a sweep
        steps one axis; a scan turns the in-plane field, moving x and y (an axis whose
        component stays is not touched). The scan of the largest magnitude stands for
        all."""
        if self.mode == FIELD_SWEEP:
            return [[2 * self.field_max / (self.sweep_fields().size - 1)]]
        a = np.radians(self.angles())
        b = max(self.magnitudes())
        components = np.round(b * np.stack([np.cos(a), np.sin(a)]), 12)
        steps = np.abs(np.diff(components, axis=1))
        return [[float(c) for c in column if c > 0] for column in steps.T]

    def field_seconds(self) -> float:
        rate = self.ramp_rate()
        changes = self._axis_changes()
        return sum(ramp_seconds(c, rate) for point in changes for c in point) / len(changes)

    def traffic_per_point(self) -> Traffic:
        """The messages of a typical point: each moving axis ramped and read back, both
        harmonics read (``labspin.procedures.timing``)."""
        rate = self.ramp_rate()
        changes = self._axis_changes()
        fields = sum((ramp(c, rate) for point in changes for c in point), Traffic())
        return fields * (1 / len(changes)) + harmonic_reading(
            2, sensitivities_differ=self.sensitivity != self.sensitivity_1w)

    def seconds_per_point(self) -> float:
        return (self.field_seconds() + self.settle_time + lockin_seconds(self.time_constant)
                + self.traffic_per_point().seconds())

    def estimated_duration(self) -> float:
        """Points, plus the ramps into and out of each sweep or scan."""
        rate = self.ramp_rate()
        if self.mode == FIELD_SWEEP:
            extra = len(self.sweep_axes()) * 2 * ramp_seconds(self.field_max, rate)
        else:
            extra = sum(2 * ramp_seconds(b, rate) for b in self.magnitudes())
        if self.initial_field_z:
            extra += 2 * ramp_seconds(self.initial_field_z, rate) + self.settle_time
        return super().estimated_duration() + extra

    # -- run ----------------------------------------------------------------------------
    def _set_field(self, axis: str | None, field: float, angle: float) -> tuple[float, float]:
        """Set the point's field; returns the field read back (signed along the axis, or
        the in-plane magnitude of a rotation) and, for a rotation, the angle it reads
        back (deg from x, within 180 deg of the nominal angle; NaN for a sweep)."""
        if axis is not None:
            return self.apparatus.set_field(axis, field), math.nan
        bx, by, _ = self.apparatus.set_inplane_field(field, angle)
        read = math.degrees(math.atan2(by, bx))
        return math.hypot(bx, by), read + 360.0 * round((angle - read) / 360.0)

    def execute(self) -> None:
        axes = self.sweep_axes() if self.mode == FIELD_SWEEP else ["x", "y"]
        if self.initial_field_z:
            axes.append("z")
        for axis in axes:  # clear errors before anything moves
            self.station.magnet(axis)
        reader = HarmonicReader(self.apparatus, "xy", self.sensitivity_1w, self.sensitivity)
        self.apparatus.lockin_for("xy")
        if self.initial_field_z:  # either mode: sets m_z before the first point
            self.apparatus.set_field("z", self.initial_field_z)
            self.station.sleep(self.settle_time)
            self.apparatus.set_field("z", 0.0)
        self._drive = ACDrive(self.apparatus, self.current, self.frequency)
        try:
            self._drive.start()
            reader.configure(self.time_constant)
            self._scan(reader)
        except BaseException:
            cleanup_quietly(self._drive.stop)  # never hides the error that ended the run
            raise
        self._drive.stop()

    def _scan(self, reader: HarmonicReader) -> None:
        total = self.planned_points()
        previous_axis: str | None = None
        for done, (axis, field, angle) in enumerate(self.points()):
            if self.should_stop():
                log.info("HarmonicHall stopped after %d of %d points", done, total)
                return
            if previous_axis is not None and axis != previous_axis:
                self.apparatus.set_field(previous_axis, 0.0)
            previous_axis = axis
            readback, angle_read = self._set_field(axis, field, angle)
            self.station.sleep(self.settle_time)
            h = reader.read()  # checks the compliance after its readings
            self.emit_row({
                "Field setpoint (T)": field, "Field (T)": readback,
                "Field angle (deg)": angle, "Field angle read (deg)": angle_read,
                "Field axis": math.nan if axis is None else AXIS_CODE[axis],
                "V_xy 1w (V)": h.v_1w, "V_xy 2w (V)": h.v_2w,
                "R_xy 1w (ohm)": h.r_1w, "R_xy 2w (ohm)": h.r_2w})
            self.report_progress(done + 1, total)
