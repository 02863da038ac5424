"""Field loops: anomalous-Hall loops (R_xy and R_xx, DC readout) and USMR loops
(R_xx^2w with a lock-in), both swept along one magnet axis.

A loop goes from +B_max down to -B_max (the "down" branch, ``Branch`` = -1) and back up
to +B_max (the "up" branch, ``Branch`` = +1), ``loops`` times. Each branch is complete:
the turning fields are measured on both branches, so each branch fits on its own
(``labspin.analysis.models.loops.fit_hysteresis_loop`` takes the ``Branch`` column as
its ``branch``). The coercive field depends on the time spent per field step
(Sharrock, IEEE Trans. Magn. 26, 193 (1990)), so ``Time (s)`` is part of the data.

USMR: Avci et al., Nat. Phys. 11, 570 (2015); R_xx^2w is odd in m_y and steps between
two levels on an easy-axis (y) loop of an in-plane magnet, as in the read-out of Choi
et al., Nat. Commun. (2025), at J_AC = 1.3e11 A/m^2.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from pymeasure.experiment import (
    FloatParameter,
    IntegerParameter,
    ListParameter,
    Metadata,
)

from labspin.procedures.apparatus import (
    Apparatus,
    Harmonics,
)
from labspin.procedures.base import SpintronicsProcedure, cleanup_quietly
from labspin.procedures.timing import (
    DEFAULT_RAMP_RATE,
    Traffic,
    dc_reading,
    delta_seconds,
    harmonic_reading,
    lockin_seconds,
    nanovoltmeter_seconds,
    ramp,
    ramp_seconds,
)
from labspin.safety import SafetyGuard

log = logging.getLogger(__name__)

DOWN, UP = -1, +1

def loop_fields(field_max: float, field_step: float) -> np.ndarray:
    """The down branch, +field_max to -field_max; the step is adjusted so that both
    ends are included."""
    if not (field_max > 0 and field_step > 0):
        raise ValueError("the maximum field and the field step must be positive")
    n = round(2 * field_max / field_step) + 1
    if n < 3:
        raise ValueError(f"a field step of {field_step:g} T leaves fewer than 3 fields "
                         f"between +-{field_max:g} T; make it smaller")
    return np.round(np.linspace(field_max, -field_max, n), 12)  # no -0.008000000000000002


@dataclass
class HarmonicReader:
    """V_1w and V_2w on one contact pair, each harmonic at its own sensitivity
    (Apparatus.read_harmonics raises LockinOverload for a clipped reading)."""

    apparatus: Apparatus
    contacts: str
    sensitivity_1w: float
    sensitivity_2w: float

    def configure(self, time_constant: float) -> None:
        self.apparatus.configure_lockin(self.contacts, time_constant, self.sensitivity_1w)

    def read(self) -> Harmonics:
        return self.apparatus.read_harmonics(
            self.contacts, (1, 2), sensitivities={1: self.sensitivity_1w,
                                                  2: self.sensitivity_2w})


@dataclass
class ACDrive:
    """The 6221's sine current through the bar, within compliance at every point."""

    apparatus: Apparatus
    amplitude: float
    frequency: float
    started: bool = field(default=False, init=False)

    def start(self) -> None:
        self.started = True
        self.apparatus.start_ac(self.amplitude, self.frequency)  # sets and checks compliance

    def stop(self) -> None:
        self.apparatus.stop_ac()


def abort_ac(station: Any) -> None:
    """Stop the 6221's sine whatever the apparatus believes (its flag is only set once
    ``start_ac`` has finished), before the base class makes the station safe."""
    if station is None or not station.has("source"):
        return
    try:
        with station.talking_to("source", "stopping the AC current"):
            station["source"].waveform_abort()
    except Exception as exc:  # shutdown goes on; the base class makes the rest safe
        log.error("could not stop the AC current: %s", exc)


class ACDriven:
    """Mixin of the lock-in procedures (before SpintronicsProcedure in the bases): a
    started 6221 sine is aborted in ``shutdown`` before the station is made safe."""

    _drive: ACDrive | None = None

    def shutdown(self) -> None:
        try:
            if self._drive is not None and self._drive.started:
                abort_ac(self.station)
        finally:
            super().shutdown()


class FieldLoop(SpintronicsProcedure):
    """A field loop along one magnet axis; subclasses measure each point."""

    field_axis = ListParameter("Field axis", choices=["x", "y", "z"], default="z")
    field_max = FloatParameter("Maximum field", units="T", default=0.05, minimum=1e-5,
                               maximum=10.0)
    field_step = FloatParameter("Field step", units="T", default=1e-3, minimum=1e-6,
                                maximum=10.0)
    loops = IntegerParameter("Loops", default=1, minimum=1, maximum=1000)
    saturation_field = FloatParameter("Saturation field", units="T", default=0.0,
                                      minimum=0.0, maximum=10.0)
    """Field held along +axis before the first loop (0: none): saturates the sample
    when the loop itself does not reach saturation."""
    settle_time = FloatParameter("Settle time", units="s", default=0.2, minimum=0.0,
                                 maximum=600.0)

    _guard: SafetyGuard | None = None

    # -- plan ---------------------------------------------------------------------------
    def check_limits(self, guard: SafetyGuard) -> None:
        self._guard = guard
        guard.check_field(self.field_axis, self.field_max)
        if self.saturation_field:
            if self.saturation_field < self.field_max:
                raise ValueError(f"a saturation field of {self.saturation_field:g} T is "
                                 f"inside the loop (+-{self.field_max:g} T) and does nothing; "
                                 "raise it or set it to 0")
            guard.check_field(self.field_axis, self.saturation_field)
        loop_fields(self.field_max, self.field_step)
        self.check_readout_limits(guard)

    def check_readout_limits(self, guard: SafetyGuard) -> None:
        raise NotImplementedError

    def planned_points(self) -> int:
        return 2 * self.loops * loop_fields(self.field_max, self.field_step).size

    def ramp_rate(self) -> float:
        guard = self.station.guard if self.station is not None else self._guard
        return guard.limits.max_ramp_rate if guard is not None else DEFAULT_RAMP_RATE

    def field_step_size(self) -> float:
        fields = loop_fields(self.field_max, self.field_step)
        return float(abs(fields[0] - fields[1]))

    def seconds_per_point(self) -> float:
        """Ramp, settling and readout on hardware, and the bus time of the point's
        messages (:meth:`traffic_per_point`)."""
        return (ramp_seconds(self.field_step_size(), self.ramp_rate()) + self.settle_time
                + self.readout_seconds() + self.traffic_per_point().seconds())

    def traffic_per_point(self) -> Traffic:
        """The messages of a typical point: the ramp and read-back of one field step, and
        the readout (``labspin.procedures.timing``)."""
        return ramp(self.field_step_size(), self.ramp_rate()) + self.readout_traffic()

    def readout_seconds(self) -> float:
        raise NotImplementedError

    def readout_traffic(self) -> Traffic:
        raise NotImplementedError

    def estimated_duration(self) -> float:
        """Points, plus the ramps to the first field (through saturation) and back to
        zero at the end."""
        start = max(self.saturation_field, self.field_max)
        extra = (ramp_seconds(start, self.ramp_rate()) + self.settle_time
                 + ramp_seconds(start - self.field_max, self.ramp_rate())
                 + ramp_seconds(self.field_max, self.ramp_rate()))
        return super().estimated_duration() + extra

    def sweep(self) -> Iterator[tuple[int, int, float]]:
        """(loop, branch, field setpoint) of every point, in order; loops count from 1."""
        down = loop_fields(self.field_max, self.field_step)
        for loop in range(1, self.loops + 1):
            for branch, fields in ((DOWN, down), (UP, down[::-1])):
                for setpoint in fields:
                    yield loop, branch, float(setpoint)

    # -- run ----------------------------------------------------------------------------
    def prepare(self) -> None:
        """Check the wiring and set up the readout; nothing may move a field yet."""

    def measure(self) -> dict[str, float]:
        raise NotImplementedError

    def finish(self) -> None:
        """Turn off what ``prepare`` turned on (shutdown makes sure of it, too)."""

    def execute(self) -> None:
        self.station.magnet(self.field_axis)  # a clear error before anything moves
        self.prepare()
        try:
            self._sweep()
        except BaseException:
            cleanup_quietly(self.finish)
            raise
        self.finish()

    def _sweep(self) -> None:
        if self.saturation_field:
            self.apparatus.set_field(self.field_axis, self.saturation_field)
            self.station.sleep(self.settle_time)
        total = self.planned_points()
        for done, (loop, branch, setpoint) in enumerate(self.sweep()):
            if self.should_stop():
                log.info("%s stopped after %d of %d points", type(self).__name__,
                         done, total)
                return
            readback = self.apparatus.set_field(self.field_axis, setpoint)
            self.station.sleep(self.settle_time)
            row = {"Field setpoint (T)": setpoint, "Field (T)": readback,
                   "Branch": branch, "Loop": loop, **self.measure()}
            self.emit_row(row)
            self.report_progress(done + 1, total)


class HallLoop(FieldLoop):
    """Anomalous-Hall loop: R_xy and R_xx against the field along one axis (z for a
    perpendicular magnet, y for the in-plane geometry of Choi et al.).

    Both contact pairs are read with the 2182A's two channels and a DC read current:
    ``dc`` (one polarity, thermoelectric offset included), ``reversal`` (+I and -I, the
    offset cancels) or ``delta`` (the 6221's delta mode, which reads only the 2182A's
    channel 1; the pair on channel 2 is then read by reversal).
    """

    DESCRIPTION = "Hall loop: R_xy and R_xx against a swept field (AHE, coercivity)"
    DATA_COLUMNS: ClassVar[list[str]] = [
        "Field setpoint (T)", "Field (T)", "Branch", "Loop", "R_xy (ohm)", "R_xx (ohm)",
        "Time (s)"]
    """``Field (T)``: read back by the axis' gaussmeter; ``Branch``: -1 on the down sweep
    (+B_max to -B_max), +1 on the up sweep; ``Loop``: 1, 2, ..."""

    read_current = FloatParameter("Read current", units="A", default=100e-6, minimum=1e-9,
                                  maximum=0.105)
    readout = ListParameter("Readout", choices=["dc", "reversal", "delta"],
                            default="reversal")
    nplc = FloatParameter("Integration time", units="NPLC", default=1.0, minimum=0.01,
                          maximum=60.0)

    def check_readout_limits(self, guard: SafetyGuard) -> None:
        guard.check_current(self.read_current, "read current")

    def pair_modes(self) -> dict[str, str]:
        """Readout per pair; in delta mode the pair on the 2182A's channel 1 only (the
        station's wiring, or channel 1 on xy as in the default station)."""
        if self.readout != "delta":
            return {"xy": self.readout, "xx": self.readout}
        wiring = {"1": "xy", "2": "xx"}
        if self.station is not None and "voltmeter" in self.station.config.instruments:
            wiring = {str(k): v for k, v in
                      self.station.config.instruments["voltmeter"].wiring.items()}
        return {pair: "delta" if wiring.get("1") == pair else "reversal"
                for pair in ("xy", "xx")}

    def readout_seconds(self) -> float:
        readings = {"dc": nanovoltmeter_seconds(self.nplc),
                    "reversal": 2 * nanovoltmeter_seconds(self.nplc),
                    "delta": delta_seconds(self.nplc)}
        return sum(readings[mode] for mode in self.pair_modes().values())

    def readout_traffic(self) -> Traffic:
        return dc_reading(tuple(self.pair_modes().values()))

    def prepare(self) -> None:
        """Readout per pair; in delta mode the pair on channel 1 only."""
        for pair in ("xy", "xx"):
            self.apparatus.voltmeter_channel(pair)  # a wiring error before anything moves
        self._modes = self.pair_modes()
        if self.readout == "delta" and "delta" not in self._modes.values():
            log.warning("delta mode reads the 2182A's channel 1, which neither xy nor xx "
                        "is wired to: both pairs are read by current reversal")

    def measure(self) -> dict[str, float]:
        # both pairs with one read current; one compliance check covers every reading
        resistances = self.apparatus.read_resistances(self._modes, self.read_current,
                                                      self.nplc)
        return {f"R_{pair} (ohm)": r for pair, r in resistances.items()}


class USMRLoop(ACDriven, FieldLoop):
    """USMR loop: R_xx^1w and R_xx^2w (lock-in on the xx pair) against the field along y.

    An AC current of density ``current_density`` (the paper's J_AC = 1.3e11 A/m^2 by
    default; amplitude J times the sample's current cross-section) runs through the
    whole loop. R_xx^2w = V_xx^2w / I_0 is odd in m_y (unidirectional magnetoresistance
    plus the anomalous Nernst voltage of the same symmetry), so it steps between two
    levels of opposite sign as the magnet reverses along its easy axis.
    """

    DESCRIPTION = "USMR loop: R_xx 1w and 2w (lock-in) against a swept in-plane field"
    DATA_COLUMNS: ClassVar[list[str]] = [
        "Field setpoint (T)", "Field (T)", "Branch", "Loop", "R_xx 1w (ohm)",
        "R_xx 2w (ohm)", "V_xx 2w (V)", "Time (s)"]
    """``Field (T)``: read back by the axis' gaussmeter; ``Branch``: -1 on the down sweep
    (+B_max to -B_max), +1 on the up sweep; ``Loop``: 1, 2, ..."""

    field_axis = ListParameter("Field axis", choices=["x", "y", "z"], default="y")
    field_max = FloatParameter("Maximum field", units="T", default=0.02, minimum=1e-5,
                               maximum=10.0)
    field_step = FloatParameter("Field step", units="T", default=0.5e-3, minimum=1e-6,
                                maximum=10.0)
    current_density = FloatParameter("AC current density", units="A/m^2", default=1.3e11,
                                     minimum=1e6, maximum=1e13)
    frequency = FloatParameter("AC frequency", units="Hz", default=1333.0, minimum=1.0,
                               maximum=50e3)
    time_constant = FloatParameter("Lock-in time constant", units="s", default=0.1,
                                   minimum=1e-5, maximum=3e4)
    sensitivity = FloatParameter("Lock-in sensitivity 2w", units="V", default=20e-6,
                                 minimum=2e-9, maximum=1.0)
    sensitivity_1w = FloatParameter("Lock-in sensitivity 1w", units="V", default=1.0,
                                    minimum=2e-9, maximum=1.0)

    ac_current = Metadata("AC current amplitude", units="A", default=0.0)

    def amplitude(self, guard: SafetyGuard) -> float:
        """Peak current (A) for the requested density through the sample's cross-section."""
        return self.current_density * guard.sample.current_area

    def check_readout_limits(self, guard: SafetyGuard) -> None:
        guard.check_current(self.amplitude(guard), "AC current amplitude")

    def readout_seconds(self) -> float:
        return lockin_seconds(self.time_constant)

    def readout_traffic(self) -> Traffic:
        return harmonic_reading(2, sensitivities_differ=self.sensitivity != self.sensitivity_1w)

    def startup(self) -> None:
        super().startup()
        self.ac_current = self.amplitude(self.station.guard)

    def prepare(self) -> None:
        self._reader = HarmonicReader(self.apparatus, "xx", self.sensitivity_1w,
                                      self.sensitivity)
        self.apparatus.lockin_for("xx")  # wiring error before the current starts
        self._drive = ACDrive(self.apparatus, self.ac_current, self.frequency)
        self._drive.start()
        self._reader.configure(self.time_constant)

    def measure(self) -> dict[str, float]:
        h = self._reader.read()  # checks the compliance after its readings
        return {"R_xx 1w (ohm)": h.r_1w, "R_xx 2w (ohm)": h.r_2w, "V_xx 2w (V)": h.v_2w}

    def finish(self) -> None:
        if self._drive is not None:
            self._drive.stop()
