"""Current-induced switching: hysteresis loops, pulse trains and switching probability.

The measurement of Choi et al., Nat. Commun. (2025), doi:10.1038/s41467-025-61073-w
(their deterministic-switching figure): current pulses along x through the bar, and after
each pulse, with the pulse current off, a small read current gives the state. Readouts:

* ``R_xy dc`` / ``R_xy delta``: the Hall resistance (anomalous Hall for a perpendicular
  magnet, planar Hall with a field along x for an in-plane one), one polarity or the
  6221/2182A delta mode (thermoelectric offsets cancel);
* ``R_xx 2w``: the paper's readout, the second-harmonic longitudinal resistance (USMR-type,
  odd in m_y; Avci et al., Nat. Phys. 11, 570 (2015)) with a sine read current of
  ``read_current_density`` (1.3e11 A/m^2 in the paper). The 6221 makes both the sine and
  the pulses, so the sine is started for each read and stopped before the next pulse:
  no read current flows while pulsing.

The read current is ``read_current_density`` times the sample's conducting cross-section
for every readout.

Pulses go through ``Apparatus.pulse``: the 6221's pulse-delta mode for 50 us to 12 ms,
the pulse generator for shorter ones. Every pulse a run will send is checked in
``check_limits`` with the station sample's two-terminal resistance before anything is
sent; without one the bar's resistance is measured with a 100 uA read current in
``startup`` and every pulse checked again before the first. A 6221 pulse that needs
more than its 105 V compliance at the cold bar is refused; one cut short because the
bar heated during it is caught from the 6221's compliance event and stops the run.

Pulse columns (every switching procedure; ``labspin.procedures.pulse_record``):
``Pulse voltage (V)`` across the V_xx probes during a 6221 pulse (NaN where nothing read
it), ``Pulse energy (J)`` (I V t_p measured, or the I^2 R_2t t_p estimate) and ``Pulse
energy measured`` (1 or 0).

Pulse sequences and width lists: ``labspin.procedures.pulse_sequence`` (the grammar).
"""

from __future__ import annotations

import logging
import math
from typing import ClassVar

import numpy as np
from pymeasure.experiment import (
    FloatParameter,
    IntegerParameter,
    ListParameter,
    Metadata,
    Parameter,
)

from labspin.procedures.apparatus import Apparatus, ApparatusError, check_pulse, uses_source
from labspin.procedures.base import ProcedureError, SpintronicsProcedure, cleanup_quietly
from labspin.procedures.pulse_record import energy_method, pulse_columns
from labspin.procedures.pulse_sequence import (  # noqa: F401 (the names users import)
    CURRENT_UNITS,
    MAX_REPEAT,
    TIME_UNITS,
    Pulse,
    SequenceError,
    parse_pulse_sequence,
    parse_pulse_widths,
)
from labspin.procedures.switching_timing import READ_NPLC, READ_TIME_CONSTANT, SwitchingTiming
from labspin.procedures.timing import Traffic
from labspin.safety import SafetyGuard

log = logging.getLogger(__name__)

READOUTS = ("R_xx 2w", "R_xy dc", "R_xy delta")
#: the column each readout fills
READOUT_COLUMN = {"R_xy dc": "R_xy (ohm)", "R_xy delta": "R_xy (ohm)",
                  "R_xx 2w": "R_xx 2w (ohm)"}


class PulsedSwitching(SwitchingTiming, SpintronicsProcedure):
    """What the three switching measurements share: bias field, readout, pulses checked
    against the limits before anything is sent."""

    readout = ListParameter("Readout", choices=READOUTS, default="R_xx 2w")
    read_current_density = FloatParameter(
        "Read current density", units="A/m^2", minimum=1e8, maximum=1e12, default=1.3e11)
    settle_time = FloatParameter("Settle time after each pulse", units="s", minimum=0.0,
                                 maximum=600.0, default=0.1)
    bias_field = FloatParameter("Bias field", units="T", minimum=-2.0, maximum=2.0,
                                default=0.0)
    bias_axis = ListParameter("Bias field axis", choices=("x", "y", "z"), default="x")

    resistance_used = Metadata("Two-terminal resistance for pulse energies (ohm)",
                               default=0.0)
    energy_method = Metadata("Pulse energy", default="")

    apparatus: Apparatus

    # -- what the subclass sends ------------------------------------------------------
    def planned_pulses(self) -> list[Pulse]:
        """Every distinct pulse the run may send (for the limit checks)."""
        raise NotImplementedError

    # -- limits -----------------------------------------------------------------------
    def read_current(self, guard: SafetyGuard | None = None) -> float:
        sample = (guard or self.station.guard).sample
        return self.read_current_density * sample.current_area

    def check_limits(self, guard: SafetyGuard) -> None:
        """Everything the run will apply, from the guard alone (queue planning has no
        open station): read current, bias field, and every distinct pulse with the
        station sample's two-terminal resistance (the energy check waits for a
        measured resistance when the station file gives none)."""
        guard.check_current(self.read_current(guard), "read current")
        if self.bias_field:
            guard.check_field(self.bias_axis, self.bias_field)
        self._check_pulses(guard, guard.sample.two_terminal_resistance)

    def _check_pulses(self, guard: SafetyGuard, resistance: float | None) -> None:
        has_pulser = self.station.has("pulser") if self.station is not None else True
        for pulse in sorted(set(self.planned_pulses()), key=lambda p: -abs(p.amplitude)):
            check_pulse(guard, pulse.amplitude, pulse.width, resistance,
                        has_pulser=has_pulser)

    # -- lifecycle --------------------------------------------------------------------
    def startup(self) -> None:
        super().startup()  # the limits, then the Apparatus
        ap = self.apparatus
        if self.bias_field and self.bias_axis not in self.station.magnets:
            raise ApparatusError(f"a bias field along {self.bias_axis} needs "
                                 f"magnets.{self.bias_axis} in the station file")
        if ap.two_terminal_resistance is None:
            # a 100 uA read, then every pulse checked again with the estimate
            ap.measure_resistance()
            self._check_pulses(self.station.guard, ap.two_terminal_resistance)
        self.resistance_used = ap.two_terminal_resistance
        self._check_wiring()
        self.energy_method = energy_method(
            ap._reads_bar_voltage(),
            [p.width for p in self.planned_pulses() if not uses_source(p.width)])
        if self.bias_field:
            ap.set_field(self.bias_axis, self.bias_field)
        if self.readout == "R_xx 2w":
            ap.configure_lockin("xx", READ_TIME_CONSTANT)

    def _check_wiring(self) -> None:
        ap = self.apparatus
        if self.readout == "R_xx 2w":
            ap.lockin_for("xx")
        elif ap.voltmeter_channel("xy") != 1 and self.readout == "R_xy delta":
            raise ApparatusError("delta mode reads the 2182A's channel 1, but the xy contacts "
                                 "are wired elsewhere; rewire or use readout 'R_xy dc'")

    # -- steps ------------------------------------------------------------------------
    def fire(self, amplitude: float, width: float) -> dict[str, float]:
        """One pulse (none for zero amplitude), then the settle time; returns the row's
        pulse columns (module doc).

        A 6221 pulse cut short by the compliance stops the run (Apparatus.pulse)."""
        record = None
        if amplitude != 0:
            record = self.apparatus.pulse(amplitude, width)  # stops the sine first
        self.station.sleep(self.settle_time)
        return pulse_columns(record)

    def read(self) -> float:
        """The state after a pulse with the chosen readout, ohm."""
        ap = self.apparatus
        current = self.read_current()
        if self.readout == "R_xx 2w":
            ap.start_ac(current)
            try:
                value = ap.read_harmonics("xx", harmonics=(2,)).r_2w
            except BaseException:
                cleanup_quietly(ap.stop_ac)  # never hides the error that ended the read
                raise
            ap.stop_ac()
            return value
        mode = "delta" if self.readout == "R_xy delta" else "dc"
        return ap.read_voltage("xy", current, mode, READ_NPLC)

    def stopped(self, done: int) -> bool:
        if self.should_stop():
            log.info("%s stopped by request after %d points", type(self).__name__, done)
            return True
        return False


def loop_amplitudes(maximum: float, steps: int, loops: int) -> list[tuple[float, int, int]]:
    """(amplitude, branch, loop) for 0 -> +max -> -max -> 0, ``loops`` times: branch +1
    while the amplitude rises, -1 while it falls, a turning point taking the direction of
    the sweep that follows it (as ``labspin.analysis.models.loops.sweep_branches``); later
    loops do not repeat the 0."""
    points = []
    for loop in range(1, loops + 1):
        up = [(k, 1) for k in range(0 if loop == 1 else 1, steps)]
        down = [(k, -1) for k in range(steps, -steps, -1)]
        back = [(k, 1) for k in range(-steps, 1)]
        points += [(maximum * (k / steps), branch, loop) for k, branch in up + down + back]
    return points


class SwitchingLoop(PulsedSwitching):
    """Pulse amplitude swept 0 -> +I_max -> -I_max -> 0 in ``pulse_steps`` steps per
    quarter, ``loops`` times; the state read after each pulse. A zero-amplitude point
    sends no pulse (energy 0) and only reads. The critical currents are where the readout
    flips on the rising (I_c+) and falling (I_c-) branch; fit them with
    ``labspin.analysis.models.switching.fit_switching_loop``."""

    DESCRIPTION: ClassVar[str] = ("Current-switching loop: pulse amplitude swept through "
                                  "both polarities, readout after each pulse")

    max_pulse_current = FloatParameter("Maximum pulse current", units="A", minimum=1e-6,
                                       maximum=0.2, default=0.035)
    pulse_steps = IntegerParameter("Steps from zero to maximum", minimum=1, maximum=1000,
                                   default=35)
    pulse_width = FloatParameter("Pulse width", units="s", minimum=1e-9, maximum=12e-3,
                                 default=1e-3)
    loops = IntegerParameter("Loops", minimum=1, maximum=100, default=1)

    DATA_COLUMNS: ClassVar[list[str]] = [
        "Pulse current (A)", "Pulse current density (A/m^2)", "Pulse width (s)",
        "Pulse energy (J)", "Branch", "Loop", "R_xy (ohm)", "R_xx 2w (ohm)", "Time (s)",
        "Pulse voltage (V)", "Pulse energy measured"]

    def points(self) -> list[tuple[float, int, int]]:
        return loop_amplitudes(self.max_pulse_current, self.pulse_steps, self.loops)

    def planned_pulses(self) -> list[Pulse]:
        return [Pulse(a, self.pulse_width) for a, _, _ in self.points() if a != 0]

    def planned_points(self) -> int:
        return len(self.points())

    def step_pulses(self) -> list[Pulse]:
        return [Pulse(a, self.pulse_width) for a, _, _ in self.points()]

    def execute(self) -> None:
        area = self.station.config.sample.current_area
        points = self.points()
        for done, (amplitude, branch, loop) in enumerate(points):
            if self.stopped(done):
                return
            pulse = self.fire(amplitude, self.pulse_width)
            self.emit_row({
                "Pulse current (A)": amplitude, "Pulse current density (A/m^2)":
                amplitude / area, "Pulse width (s)": self.pulse_width, **pulse,
                "Branch": branch, "Loop": loop, READOUT_COLUMN[self.readout]: self.read()})
            self.report_progress(done + 1, len(points))


class PulseSequence(PulsedSwitching):
    """An arbitrary train of pulses, the state read after each (Choi et al. 2025, the
    deterministic-switching figure). Row 0 is the state before the first pulse (current,
    width and energy 0); row k follows pulse k of the expanded sequence."""

    DESCRIPTION: ClassVar[str] = ("Pulse train from a written sequence "
                                  "('+30 mA x 1 ms *5, ...'), readout after each pulse")

    sequence = Parameter("Pulse sequence",
                         default="+30 mA x 1 ms *5, -30 mA x 1 ms *5, +10 mA x 1 ms *3")

    DATA_COLUMNS: ClassVar[list[str]] = [
        "Pulse index", "Pulse current (A)", "Pulse width (s)", "Pulse energy (J)",
        "R_xy (ohm)", "R_xx 2w (ohm)", "Time (s)", "Pulse voltage (V)",
        "Pulse energy measured"]

    def pulses(self) -> list[Pulse]:
        return parse_pulse_sequence(self.sequence)

    def planned_pulses(self) -> list[Pulse]:
        return self.pulses()

    def planned_points(self) -> int:
        return len(self.pulses()) + 1

    def step_pulses(self) -> list[Pulse]:
        return [Pulse(0.0, 0.0), *self.pulses()]

    def execute(self) -> None:
        pulses = [Pulse(0.0, 0.0), *self.pulses()]  # index 0: the state before any pulse
        for index, pulse in enumerate(pulses):
            if self.stopped(index):
                return
            columns = self.fire(pulse.amplitude, pulse.width) if index else pulse_columns(None)
            self.emit_row({"Pulse index": index, "Pulse current (A)": pulse.amplitude,
                           "Pulse width (s)": pulse.width, **columns,
                           READOUT_COLUMN[self.readout]: self.read()})
            self.report_progress(index + 1, len(pulses))


class SwitchingProbability(PulsedSwitching):
    """Share of pulses that reverse the bar, per (amplitude, width), from single trials.

    Each trial: reset, read, pulse, read. The reset is a current pulse of
    ``reset_amplitude`` with the polarity opposite to the test pulses (not a field
    pulse): it uses the same torque the test pulse works against, needs no coil ramp per
    trial (seconds on hardware, and the yoke's remanence would bias the next pulse) and
    works for any stack that switches deterministically, which is what the measurement
    presupposes. In ``startup`` a reset pulse of each polarity gives the two levels; the
    switching threshold is their midpoint, and a trial counts as switched (1) when the
    readout crossed it away from the reset level. "Switched fraction" is the part of the
    bar that reversed, (before - after) / (reset level - switched level): a Hall bar
    reverses grain by grain, and the fraction compares with the model's grain-averaged
    probability, while "Switched" (more than half reversed) is steeper.
    """

    DESCRIPTION: ClassVar[str] = ("Switching probability: N trials of reset, read, pulse, "
                                  "read per pulse amplitude and width")

    amplitude_min = FloatParameter("First pulse current", units="A", minimum=-0.2,
                                   maximum=0.2, default=0.024)
    amplitude_max = FloatParameter("Last pulse current", units="A", minimum=-0.2,
                                   maximum=0.2, default=0.032)
    amplitude_steps = IntegerParameter("Number of amplitudes", minimum=1, maximum=1000,
                                       default=9)
    pulse_widths = Parameter("Pulse widths", default="100 us, 1 ms")
    trials = IntegerParameter("Trials per point", minimum=1, maximum=100_000, default=50)
    reset_amplitude = FloatParameter("Reset pulse current (magnitude)", units="A",
                                     minimum=1e-6, maximum=0.2, default=0.04)
    reset_width = FloatParameter("Reset pulse width", units="s", minimum=1e-9,
                                 maximum=12e-3, default=1e-3)

    reset_level = Metadata("Reset level (ohm)", default=0.0)
    switched_level = Metadata("Switched level (ohm)", default=0.0)
    threshold = Metadata("Switching threshold (ohm)", default=0.0)

    DATA_COLUMNS: ClassVar[list[str]] = [
        "Pulse width (s)", "Pulse current (A)", "Trial", "Switched", "Switched fraction",
        "Pulse energy (J)", "R_xy before (ohm)", "R_xy after (ohm)",
        "R_xx 2w before (ohm)", "R_xx 2w after (ohm)", "Time (s)", "Pulse voltage (V)",
        "Pulse energy measured"]

    def polarity(self) -> float:
        if self.amplitude_min == 0 or self.amplitude_max == 0 or \
                (self.amplitude_min > 0) != (self.amplitude_max > 0):
            raise ProcedureError("the pulse currents must all have the same sign and none "
                                 f"may be zero (got {self.amplitude_min:g} A to "
                                 f"{self.amplitude_max:g} A): the reset pulse takes the "
                                 "other sign; measure each polarity in its own run")
        return 1.0 if self.amplitude_min > 0 else -1.0

    def amplitudes(self) -> list[float]:
        self.polarity()
        return [float(a) for a in np.linspace(self.amplitude_min, self.amplitude_max,
                                              self.amplitude_steps)]

    def widths(self) -> list[float]:
        return parse_pulse_widths(self.pulse_widths)

    def planned_pulses(self) -> list[Pulse]:
        resets = [Pulse(s * self.reset_amplitude, self.reset_width) for s in (1.0, -1.0)]
        return resets + [Pulse(a, w) for w in self.widths() for a in self.amplitudes()]

    def planned_points(self) -> int:
        return len(self.widths()) * len(self.amplitudes()) * self.trials

    def step_pulses(self) -> list[Pulse]:
        """Per row a reset pulse then the test pulse (two steps; costs are per step)."""
        reset = Pulse(-self.polarity() * self.reset_amplitude, self.reset_width)
        return [p for w in self.widths() for a in self.amplitudes()
                for p in (reset, Pulse(a, w))]

    def traffic_per_point(self) -> Traffic:
        return 2 * super().traffic_per_point()

    def seconds_per_point(self) -> float:
        return 2 * super().seconds_per_point()

    def startup(self) -> None:
        super().startup()
        sign = self.polarity()
        self.fire(sign * self.reset_amplitude, self.reset_width)
        switched = self.read()
        self.fire(-sign * self.reset_amplitude, self.reset_width)
        reset, again = self.read(), self.read()
        contrast, noise = reset - switched, abs(again - reset)
        # a switch must stand out of the read noise and be more than 2 % of the level
        # itself (a readout that does not see the state still differs by its noise)
        if abs(contrast) <= max(5 * noise, 0.02 * max(abs(reset), abs(switched))):
            raise ProcedureError(
                f"reset pulses of +/-{self.reset_amplitude * 1e3:g} mA x "
                f"{self.reset_width:g} s do not switch the bar visibly with readout "
                f"{self.readout} (levels {reset:.4g} and {switched:.4g} ohm, read noise "
                f"{noise:.2g} ohm): raise reset_amplitude, add the bias "
                "field the stack needs, or choose another readout")
        self.reset_level, self.switched_level = reset, switched
        self.threshold = 0.5 * (reset + switched)

    def execute(self) -> None:
        sign = self.polarity()
        before_col = READOUT_COLUMN[self.readout].replace(" (ohm)", " before (ohm)")
        after_col = before_col.replace("before", "after")
        contrast = self.reset_level - self.switched_level
        total, done, invalid = self.planned_points(), 0, 0
        for width in self.widths():
            for amplitude in self.amplitudes():
                for trial in range(1, self.trials + 1):
                    if self.stopped(done):
                        return
                    self.fire(-sign * self.reset_amplitude, self.reset_width)
                    before = self.read()
                    pulse = self.fire(amplitude, width)
                    after = self.read()
                    if (before - self.threshold) * contrast > 0:
                        switched = float((after - self.threshold) * contrast < 0)
                    else:  # the reset failed: this trial says nothing
                        switched = math.nan
                        invalid += 1
                    self.emit_row({
                        "Pulse width (s)": width, "Pulse current (A)": amplitude,
                        "Trial": trial, "Switched": switched,
                        "Switched fraction": (before - after) / contrast, **pulse,
                        before_col: before, after_col: after})
                    done += 1
                    self.report_progress(done, total)
        if invalid:
            log.warning("%d of %d trials started from an incomplete reset (Switched is NaN "
                        "there); raise reset_amplitude", invalid, total)
