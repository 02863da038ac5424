"""Spin-torque FMR: the rectified mixing voltage against field at several RF frequencies.

The RF generator (role ``rf_source``, an E8257D) drives the bar through a bias tee;
its amplitude modulation (AM) at a few kHz is carried by its LF output to the lock-in's
reference input, and the lock-in on the V_xx contacts reads the rectified voltage at
the AM rate (Liu et al., PRL 106, 036601 (2011)). For each in-plane field angle, RF
level, frequency and DC bias current (from the 6221, through the same bias tee), the
field is swept down through a window around the resonance that an expected M_eff
predicts (Kittel), so the points sit where the line is.

``Mixing voltage (V)`` is the rectified voltage the RF would give at its set level
without AM: for a sine AM of depth d the envelope's square has the first harmonic
2 d V, so V = sqrt 2 X / (2 d) (X the lock-in's in-phase output, rms).

Every RF level (its AM peak envelope, P + 20 log10(1 + d)), frequency, field, angle and
current (the DC bias plus the largest RF current the level can drive into the bar) is
checked against the station limits before anything is sent. Shutdown turns the RF off
first, then makes the station safe. ``labspin.analysis.stfmr_runs`` fits the runs.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pymeasure.experiment import FloatParameter, ListParameter
from pymeasure.instruments.srs import SR830

from labspin.physics.fmr import resonance_field
from labspin.physics.stfmr import nominal_bar_current
from labspin.procedures.apparatus import COMPLIANCE_EVENT, ApparatusError, LockinOverload
from labspin.procedures.base import SpintronicsProcedure
from labspin.procedures.harmonic import TextParameter
from labspin.procedures.timing import (
    DEFAULT_RAMP_RATE,
    Traffic,
    ramp,
    ramp_seconds,
    truncated,
)
from labspin.safety import LimitError, SafetyGuard

log = logging.getLogger(__name__)

VECTOR_MAGNET, ROTATOR = "vector magnet", "rotator"
LOCKIN_MAX_FREQUENCY = 102e3  # Hz, the SR830's reference range
LOCKIN_UNLOCK = 8  # SR830 LIA status bit 3
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class ListValueError(ValueError):
    """A comma-separated list of numbers that cannot be read."""


def parse_list(text: Any, label: str, example: str, *, positive: bool = False) -> list[float]:
    """Numbers from text like ``"6, 8, 10"`` (or a number, or a list): finite, all
    different, positive if asked; :class:`ListValueError` says what to write instead."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = [text]
    if isinstance(text, str):
        items = [item.strip() for item in text.split(",")]
        bad = [item for item in items if not _NUMBER.fullmatch(item)]
        if not text.strip() or bad:
            what = "an empty entry" if not text.strip() or "" in items else \
                f"{bad[0]!r} is not a plain number (the unit is in the label)"
            raise ListValueError(f"{label} {text!r}: {what}; write numbers separated by "
                                 f"commas, like {example!r}")
        values = [float(item) for item in items]
    else:
        try:
            values = [float(v) for v in text]
        except (TypeError, ValueError):
            raise ListValueError(f"{label} {text!r}: write numbers like {example!r}") from None
    if not values or not all(math.isfinite(v) and (v > 0 or not positive) for v in values):
        raise ListValueError(f"{label} {values}: each must be a finite"
                             + (" positive" if positive else "") + f" number, like {example!r}")
    if len(set(values)) != len(values):
        raise ListValueError(f"{label} {values}: a value is repeated")
    return values


def rotator_angle(field_angle: float) -> float:
    """The stage angle (deg, -180..180) that puts a field along the magnet's x at
    ``field_angle`` from the current: the stage turns the sample by +angle, so the sample
    sees the field at -angle."""
    return (-field_angle + 180.0) % 360.0 - 180.0


@dataclass(frozen=True)
class Sweep:
    """One field sweep: its settings and the fields (T, descending)."""

    index: int
    angle: float  # deg from x (the current), in the sample frame
    power: float  # dBm, carrier level
    frequency: float  # Hz
    dc_current: float  # A
    fields: np.ndarray


class STFMR(SpintronicsProcedure):
    """Spin-torque FMR field sweeps at several frequencies, RF levels, field angles and
    DC bias currents (mixing voltage by lock-in at the AM rate)."""

    DESCRIPTION = "Spin-torque FMR: mixing voltage against field at several RF frequencies"
    DATA_COLUMNS: ClassVar[list[str]] = [
        "Sweep", "Field angle (deg)", "RF frequency (Hz)", "RF power (dBm)",
        "DC current (A)", "Field setpoint (T)", "Field (T)", "Lock-in X (V)",
        "Lock-in Y (V)", "Mixing voltage (V)", "Time (s)"]
    """``Field (T)`` is the magnitude of the in-plane field the gaussmeters read;
    ``Field angle (deg)`` the nominal angle of the field from x in the sample frame."""

    frequencies = TextParameter("RF frequencies (GHz)", default="6, 8, 10, 12")
    powers = TextParameter("RF powers (dBm)", default="0")
    """The RF heats the bar (M_s, M_eff and the resonance move with it): the analysis
    takes M_eff and alpha from the lowest level."""
    field_angles = TextParameter("Field angles (deg)", default="45")
    dc_currents = TextParameter("DC bias currents (mA)", default="0")
    """Through the bias tee from the 6221: with two or more (one each side of zero),
    the change of the linewidth gives the damping-like torque."""
    angle_control = ListParameter("In-plane angle by", choices=[VECTOR_MAGNET, ROTATOR],
                                  default=VECTOR_MAGNET)
    m_eff_estimate = FloatParameter("Expected M_eff", units="T", default=0.9, minimum=0.0,
                                    maximum=3.0)
    field_window = FloatParameter("Field window", units="T", default=0.02, minimum=1e-4,
                                  maximum=1.0)
    """Half width of each sweep around the resonance the expected M_eff predicts."""
    field_step = FloatParameter("Field step", units="T", default=1e-3, minimum=1e-6,
                                maximum=0.1)
    am_frequency = FloatParameter("AM rate", units="Hz", default=1333.0, minimum=1.0,
                                  maximum=LOCKIN_MAX_FREQUENCY)
    am_depth = FloatParameter("AM depth", units="%", default=100.0, minimum=1.0,
                              maximum=100.0)
    time_constant = FloatParameter("Lock-in time constant", units="s", default=0.03,
                                   minimum=1e-5, maximum=3e4)
    sensitivity = FloatParameter("Lock-in sensitivity", units="V", default=1e-3,
                                 minimum=2e-9, maximum=1.0)
    settle_time = FloatParameter("Settle time", units="s", default=0.0, minimum=0.0,
                                 maximum=600.0)
    lockin_wait = FloatParameter("Lock-in wait (time constants)", default=8.0, minimum=1.0,
                                 maximum=100.0)
    """Time constants waited after each field step: the output filter leaves e^-n of the
    previous point in the reading, which drags the line along the sweep and mixes S into
    A (5 leaves 0.7 %, 8 leaves 0.03 %)."""
    saturation_magnetization = FloatParameter("Sample M_s", units="A/m", default=0.0,
                                              minimum=0.0, maximum=1e7)
    """The FM's M_s from magnetometry, kept in the file for the torque efficiency (0:
    unknown; ``labspin fit --ms`` gives it later)."""

    _guard: SafetyGuard | None = None
    _rf_started = False

    # -- plan ---------------------------------------------------------------------------
    def frequency_list(self) -> list[float]:
        return [1e9 * f for f in parse_list(self.frequencies, "RF frequencies (GHz)",
                                            "6, 8, 10", positive=True)]

    def power_list(self) -> list[float]:
        return parse_list(self.powers, "RF powers (dBm)", "5, 10")

    def angle_list(self) -> list[float]:
        return parse_list(self.field_angles, "Field angles (deg)", "45, 225")

    def current_list(self) -> list[float]:
        return [1e-3 * i for i in parse_list(self.dc_currents, "DC bias currents (mA)",
                                             "-2, 0, 2")]

    def sweep_fields(self, frequency: float, angle: float) -> np.ndarray:
        """Descending fields through the window around the expected resonance."""
        n = round(2 * self.field_window / self.field_step) + 1
        if n < 8:
            raise ValueError(f"a field step of {self.field_step:g} T leaves {n} fields in "
                             f"a window of +-{self.field_window:g} T; a Lorentzian needs at "
                             "least 8: make the step smaller")
        centre = float(resonance_field(frequency, math.radians(angle), self.m_eff_estimate))
        low = max(centre - self.field_window, self.field_step)
        return np.round(np.linspace(low + 2 * self.field_window, low, n), 9)

    def sweeps(self) -> Iterator[Sweep]:
        """Every sweep in order: angle, then level, then frequency, then DC current (so
        the currents of one frequency follow each other)."""
        index = 0
        for angle in self.angle_list():
            for power in self.power_list():
                for frequency in self.frequency_list():
                    fields = self.sweep_fields(frequency, angle)
                    for current in self.current_list():
                        yield Sweep(index, angle, power, frequency, current, fields)
                        index += 1

    def peak_level(self, power: float) -> float:
        """The AM peak envelope (dBm) of a carrier level: P + 20 log10(1 + d)."""
        return power + 20 * math.log10(1 + self.am_depth / 100)

    def check_limits(self, guard: SafetyGuard) -> None:
        self._guard = guard
        resistance = guard.sample.two_terminal_resistance or 0.0
        largest_dc = max(abs(i) for i in self.current_list())
        for power in self.power_list():
            for frequency in self.frequency_list():
                guard.check_rf(self.peak_level(power), frequency)
            rf_peak = nominal_bar_current(self.peak_level(power), resistance)
            guard.check_current(largest_dc + rf_peak,
                                "DC bias plus peak RF current")
        for angle in self.angle_list():
            top = max(float(self.sweep_fields(f, angle)[0]) for f in self.frequency_list())
            if self.angle_control == ROTATOR:
                guard.check_field("x", top)
            else:
                a = math.radians(angle)
                guard.check_field("x", top * abs(math.cos(a)))
                guard.check_field("y", top * abs(math.sin(a)))
        if not 0.5 <= self.am_frequency <= LOCKIN_MAX_FREQUENCY:
            raise LimitError(f"AM rate {self.am_frequency:g} Hz: the generator's internal AM "
                             "and the lock-in's reference share 0.5 Hz to 102 kHz")

    def planned_points(self) -> int:
        return sum(s.fields.size for s in self.sweeps())

    def ramp_rate(self) -> float:
        guard = self.station.guard if self.station is not None else self._guard
        return guard.limits.max_ramp_rate if guard is not None else DEFAULT_RAMP_RATE

    def traffic_per_point(self) -> Traffic:
        """The messages of a typical point: each magnet axis stepped and read back, the
        lock-in's X and Y and its lock status, and the 6221's compliance register on
        the points with a DC bias (``labspin.procedures.timing``)."""
        axes = 1 if self.angle_control == ROTATOR else 2
        currents = self.current_list()
        biased = sum(1 for i in currents if i) / len(currents)
        return axes * ramp(self.field_step, self.ramp_rate()) + Traffic(queries=2 + biased)

    def seconds_per_point(self) -> float:
        axes = 1 if self.angle_control == ROTATOR else 2
        tau = truncated(SR830.TIME_CONSTANTS, self.time_constant)
        return (axes * ramp_seconds(self.field_step, self.ramp_rate()) + self.settle_time
                + self.lockin_wait * tau + self.traffic_per_point().seconds())

    def estimated_duration(self) -> float:
        """Points, plus the ramp to the top of each sweep and the rotations."""
        rate = self.ramp_rate()
        extra = sum(2 * ramp_seconds(2 * self.field_window, rate) for _ in self.sweeps())
        if self.angle_control == ROTATOR:
            extra += len(self.angle_list()) * 180.0 / 10.0  # at most half a turn, 10 deg/s
        return super().estimated_duration() + extra

    # -- run ----------------------------------------------------------------------------
    def _rf(self, doing: str):
        return self.station.talking_to("rf_source", doing)

    def _start_rf(self) -> None:
        """AM from the internal source, LF output to the lock-in; RF still off."""
        with self._rf("configuring the RF and its AM") as rf:
            rf.disable()
            self.apparatus.known.put("rf_source", "enabled", False)
            self._rf_started = True
            rf.config_amplitude_modulation(frequency=self.am_frequency, depth=self.am_depth,
                                           shape="sine")
            rf.enable_modulation()  # the modulation reaches the output; LF out on

    def _set_rf(self, sweep: Sweep) -> None:
        self.station.guard.check_rf(self.peak_level(sweep.power), sweep.frequency)
        known = self.apparatus.known
        with self._rf(f"setting {sweep.frequency / 1e9:g} GHz at {sweep.power:g} dBm") as rf:
            known.ensure("rf_source", rf, "frequency", sweep.frequency)
            known.ensure("rf_source", rf, "power", sweep.power)
            enabled = known.get("rf_source", "enabled")
            if enabled is not True:
                if enabled is False or not rf.is_enabled:
                    rf.enable()
                known.put("rf_source", "enabled", True)

    _dc_on = False

    def _set_dc(self, current: float) -> None:
        """The 6221's DC bias through the bias tee; off (not 0 A on) when it is zero."""
        ap = self.apparatus
        if current == 0:
            if self._dc_on:
                ap._source_off()
                self._dc_on = False
            return
        ap.set_compliance(current)
        with self.station.talking_to("source", "a DC bias current"):
            ap._source_dc(current)
        self._dc_on = True

    def _check_dc(self, current: float) -> None:
        """After every reading with a DC bias: the 6221 drove all of it."""
        if current and int(self.station.read_number("source", "measurement_events")) \
                & COMPLIANCE_EVENT:
            self.station.io.invalidate()
            raise ApparatusError(f"the 6221 reached its compliance driving a DC bias of "
                                 f"{current * 1e3:.3g} mA through the bias tee: check the DC "
                                 "port's wiring, or lower the current")
        if current:
            self.apparatus.known.put("source", "events_clear", True)

    def _set_angle(self, angle: float) -> None:
        if self.angle_control != ROTATOR:
            return
        from labspin.drivers.rotator import Rotator

        with self.station.talking_to("rotator", f"a rotation to {-angle:g} deg"):
            Rotator(self.station["rotator"], sleep=self.station.sleep).move_to(
                rotator_angle(angle))

    def _set_field(self, field: float, angle: float) -> float:
        """The field of this point; returns the in-plane magnitude read back."""
        if self.angle_control == ROTATOR:
            return abs(self.apparatus.set_field("x", field))
        bx, by, _ = self.apparatus.set_inplane_field(field, angle)
        return math.hypot(bx, by)

    def _configure_lockin(self) -> str:
        role = self.apparatus.lockin_for("xx")
        with self.station.talking_to(role, "configuring the lock-in") as lockin:
            lockin.reference_source = "External"
            lockin.harmonic = 1
            lockin.phase = 0.0
            lockin.time_constant = self.time_constant
            lockin.sensitivity = self.sensitivity
            self._full_scale = float(lockin.sensitivity)
            self._tau = float(lockin.time_constant)
        return role

    def _read(self, role: str) -> tuple[float, float]:
        with self.station.talking_to(role, "a reading of X and Y") as lockin:
            x, y = (self.station.as_number(role, "X and Y", v) for v in lockin.xy)
            status = int(lockin.ask("LIAS?"))
        if status & LOCKIN_UNLOCK:
            raise ApparatusError(f"the lock-in '{role}' is not locked to the AM rate: connect "
                                 "the RF generator's LF output to its reference input")
        if max(abs(x), abs(y)) >= 0.999 * self._full_scale:
            raise LockinOverload(f"the lock-in on xx is at full scale ({self._full_scale:g} "
                                 "V rms): raise the lock-in sensitivity setting or lower the "
                                 "RF power")
        return x, y

    def execute(self) -> None:
        axes = ["x"] if self.angle_control == ROTATOR else ["x", "y"]
        for axis in axes:  # a missing magnet fails here, before the RF is touched
            self.station.magnet(axis)
        self.station["rf_source"]
        if any(self.current_list()) and not self.station.has("source"):
            raise ApparatusError("DC bias currents need the 6221 (role 'source') wired to "
                                 "the bias tee's DC port; add it or set the currents to 0")
        role = self._configure_lockin()
        to_mixing = math.sqrt(2) / (2 * self.am_depth / 100)
        self._start_rf()
        total = self.planned_points()
        done = 0
        angle = None
        for sweep in self.sweeps():
            if sweep.angle != angle:
                self.apparatus.zero_fields()
                self._set_angle(sweep.angle)
                angle = sweep.angle
            self._set_dc(sweep.dc_current)
            self._set_rf(sweep)
            for field in sweep.fields:
                if self.should_stop():
                    log.info("STFMR stopped after %d of %d points", done, total)
                    return
                readback = self._set_field(float(field), sweep.angle)
                self.station.sleep(self.settle_time + self.lockin_wait * self._tau)
                x, y = self._read(role)
                self._check_dc(sweep.dc_current)  # before the row: it holds this reading
                self.emit_row({
                    "Sweep": sweep.index, "Field angle (deg)": sweep.angle,
                    "RF frequency (Hz)": sweep.frequency, "RF power (dBm)": sweep.power,
                    "DC current (A)": sweep.dc_current, "Field setpoint (T)": float(field),
                    "Field (T)": readback, "Lock-in X (V)": x, "Lock-in Y (V)": y,
                    "Mixing voltage (V)": to_mixing * x})
                done += 1
                self.report_progress(done, total)

    def shutdown(self) -> None:
        """RF output off first (whatever state the run reached), then the station safe."""
        try:
            if self._rf_started and self.station is not None and \
                    self.station.has("rf_source"):
                from labspin.drivers.agilent8257d import rf_off

                try:
                    with self._rf("turning the RF off") as rf:
                        rf_off(rf)
                except Exception as exc:  # make_safe below tries again
                    log.error("could not turn the RF off: %s", exc)
        finally:
            super().shutdown()
