"""What each procedure needs of a station beyond its limits: instruments by role and
their wiring, checked from the station file alone, before any instrument is opened.

``labspin queue plan``, the pre-check of ``labspin run`` and the window all call
:func:`station_problems`, so a HarmonicHall step on a station without a lock-in, pulses
under 50 us without a pulse generator or a bias field along an axis without a magnet
are refused when the file is planned, not hours later when the run reaches them. Each
rule here restates a check the procedure (or ``labspin.procedures.apparatus``) makes at
run time, with the same fix in the message; ``tests/runs/test_station_needs.py`` runs
every procedure on stations that lack each of these and holds the two to agreeing.

The rules are per procedure class (by name, along the class's bases), so a procedure
this module does not know needs only what every procedure needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: the 6221's pulse-delta mode makes pulses from 50 us (labspin.procedures.apparatus)
SOURCE_MIN_PULSE = 50e-6
_WIDTH_TOLERANCE = 1e-9
LOCKIN_DRIVERS = ("SR830",)
PULSE_SOURCE_DRIVERS = ("Keithley6221Pulse",)


class StationMismatch(ValueError):
    """A run that does not fit the station: an instrument or wiring it lacks (or, from
    ``labspin run``'s pre-check, a limit beside them); lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        text = problems[0] if len(problems) == 1 else \
            f"{len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(text)
        self.problems = problems


class _Needs:
    """Collects the problems of one procedure on one station."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.problems: list[str] = []

    def _add(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def role(self, role: str, why: str, what: str) -> None:
        if role not in self.config.instruments:
            self._add(f"{why} needs {what} (role '{role}'), which station "
                      f"'{self.config.name}' does not have; add instruments.{role} to the "
                      "station file")

    def source(self, why: str, pulses: bool = False) -> None:
        entry = self.config.instruments.get("source")
        if entry is None:
            self.role("source", why, "the 6221 current source")
        elif pulses and entry.driver not in PULSE_SOURCE_DRIVERS:
            self._add(f"{why} needs the 6221's pulses: instruments.source uses driver "
                      f"{entry.driver}; change it to Keithley6221Pulse")

    def magnet(self, axis: str, why: str) -> None:
        if axis not in self.config.magnets:
            self._add(f"{why} needs a magnet along {axis}, which station "
                      f"'{self.config.name}' does not have; add magnets.{axis} to the "
                      "station file")

    def lockin(self, contacts: str, why: str) -> None:
        if not any(entry.driver in LOCKIN_DRIVERS and contacts in entry.wiring.values()
                   for entry in self.config.instruments.values()):
            self._add(f"{why} needs a lock-in on the {contacts} contacts: no lock-in is "
                      f"wired to them; add one with wiring {{1: {contacts}}} to the station "
                      "file")

    def voltmeter(self, contacts: str, why: str, channel: int | None = None) -> None:
        entry = self.config.instruments.get("voltmeter")
        if entry is None:
            self.role("voltmeter", why, "the 2182A nanovoltmeter")
            return
        wired = [int(c) for c, pair in entry.wiring.items() if pair == contacts]
        if not wired:
            self._add(f"{why} needs the 2182A on the {contacts} contacts: no 2182A channel "
                      f"is wired to them; set instruments.voltmeter.wiring in the station "
                      "file")
        elif channel is not None and channel not in wired:
            self._add(f"{why} reads the 2182A's channel {channel}, but the {contacts} "
                      f"contacts are wired to channel {wired[0]}; rewire them to channel "
                      f"{channel} (instruments.voltmeter.wiring)")

    def pulses(self, widths: list[float], why: str) -> None:
        if not widths:
            return
        if any(w < SOURCE_MIN_PULSE * (1 - _WIDTH_TOLERANCE) for w in widths):
            shortest = min(widths)
            self.role("pulser", f"a {shortest * 1e6:.3g} us {why} (shorter than the 6221's "
                                "50 us)", "a pulse generator")
        if any(w >= SOURCE_MIN_PULSE * (1 - _WIDTH_TOLERANCE) for w in widths):
            self.source(f"a {why} of 50 us or more", pulses=True)


def _base(p: Any, needs: _Needs) -> None:
    from labspin.procedures.base import stage_setpoint

    setpoint = stage_setpoint(p)  # None: the stage is left as it is ("off")
    if setpoint is not None:
        needs.role("temperature", f"stage_temperature {setpoint:g} K",
                   "a temperature controller")


def _pulsed(p: Any, needs: _Needs) -> None:
    if p.bias_field:
        needs.magnet(p.bias_axis, f"bias_field along {p.bias_axis}")
    widths = sorted({pulse.width for pulse in p.planned_pulses() if pulse.amplitude})
    needs.pulses(widths, "pulse")
    readout = f"readout {p.readout!r}"
    if p.readout == "R_xx 2w":
        needs.source(readout)
        needs.lockin("xx", readout)
    else:
        needs.source(readout)
        needs.voltmeter("xy", readout, channel=1 if p.readout == "R_xy delta" else None)
    if needs.config.sample.two_terminal_resistance is None:
        needs.voltmeter("xx", "measuring the bar's resistance before pulsing (the station "
                              "file gives no sample.two_terminal_resistance)")


def _field_loop(p: Any, needs: _Needs) -> None:
    needs.magnet(p.field_axis, f"field_axis {p.field_axis}")
    needs.source("the read current")


def _hall_loop(p: Any, needs: _Needs) -> None:
    for pair in ("xy", "xx"):
        needs.voltmeter(pair, "a Hall loop (R_xy and R_xx)")


def _usmr_loop(p: Any, needs: _Needs) -> None:
    needs.lockin("xx", "a USMR loop (R_xx 1w and 2w)")


def _harmonic(p: Any, needs: _Needs) -> None:
    from labspin.procedures.harmonic import FIELD_SWEEP

    needs.source("the AC current")
    needs.lockin("xy", "harmonic Hall (V_xy 1w and 2w)")
    if p.mode == FIELD_SWEEP:
        for axis in p.sweep_axes():
            needs.magnet(axis, f"a field sweep along {axis}")
    else:
        for axis in ("x", "y"):
            needs.magnet(axis, "an in-plane angle scan (mode 'angle scan')")
    if p.initial_field_z:  # applied in either mode
        needs.magnet("z", "initial_field_z")


def _stfmr(p: Any, needs: _Needs) -> None:
    from labspin.procedures.stfmr import ROTATOR

    needs.role("rf_source", "spin-torque FMR", "an RF generator")
    needs.lockin("xx", "spin-torque FMR (the mixing voltage)")
    if p.angle_control == ROTATOR:
        needs.role("rotator", "angle_control 'rotator'", "a rotation stage")
        needs.magnet("x", "angle_control 'rotator'")
    else:
        for axis in ("x", "y"):
            needs.magnet(axis, "a field angle set by the vector magnet (angle_control "
                               "'vector magnet')")
    if any(p.current_list()):
        needs.source("a DC bias current through the bias tee (dc_currents)")


#: per procedure class name, what it needs beyond its bases (applied base first)
RULES: dict[str, Callable[[Any, _Needs], None]] = {
    "SpintronicsProcedure": _base,
    "PulsedSwitching": _pulsed,
    "FieldLoop": _field_loop,
    "HallLoop": _hall_loop,
    "USMRLoop": _usmr_loop,
    "HarmonicHall": _harmonic,
    "STFMR": _stfmr,
}


def station_problems(procedure: Any, config: Any) -> list[str]:
    """Every instrument or wiring the configured ``procedure`` needs that the station
    file ``config`` lacks, one line each with the fix; empty when it has all."""
    needs = _Needs(config)
    for cls in reversed(type(procedure).__mro__):
        rule = RULES.get(cls.__name__)
        if rule is not None and cls.__module__.startswith("labspin."):
            rule(procedure, needs)
    return needs.problems


def check_station(procedure: Any, config: Any) -> None:
    """Raise :class:`StationMismatch` listing every problem of :func:`station_problems`."""
    problems = station_problems(procedure, config)
    if problems:
        raise StationMismatch(problems)
