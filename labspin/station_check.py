"""``labspin station check``: what the bench was found doing, and what was done about it.

A station is opened after something else had it: a run killed with ``kill -9``, a
crashed window, a colleague's script. Before anything is switched off, everything
``labspin.shutdown.make_safe`` switches off is read from the instruments: every magnet's
supply (output, current, field), the 6221's waveform (a sine armed or running reads
``SOUR:WAVE:ARM? 1`` while ``OUTP?`` reads 0), its delta and pulse-delta tests and DC
output, the pulse generator's outputs, the RF generator's output. Then the bench is made
safe and read again. Each item found on gives one line saying what it was at and what
became of it ("magnet z was at 250 mT (8.33 A), left on by a previous process: ramped to
zero at 0.5 T/s and switched off; it now reads 0.1 mT"; "source (the current source) was
driving a 5 mA sine at 1333 Hz (armed or running), left on by a previous process:
aborted; it now reads off"), so the user learns that something had been left on, not
only that it is off now. ``labspin run`` and ``labspin queue run`` do the same check
before their first run and print the same lines (:func:`found_lines`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labspin.bench_state import ZERO_FIELD
from labspin.shutdown import BY_HAND, SOURCE_ARMED, flag

log = logging.getLogger(__name__)

#: a coil current this small counts as none (the supply's own offset)
ZERO_CURRENT = 1e-3  # A
LEFT = "left on by a previous process"


@dataclass
class Finding:
    """One instrument found on: what it was doing, and (after make-safe) what it does."""

    role: str
    was: str  # "magnet z was at 250 mT (8.33 A)"
    done: str = ""  # "ramped to zero at 0.5 T/s and switched off; it now reads 0.1 mT"

    def line(self) -> str:
        return f"{self.was}, {LEFT}: {self.done}" if self.done else f"{self.was}, {LEFT}"


@dataclass
class CheckReport:
    found: list[Finding] = field(default_factory=list)
    #: what could not be read before making safe, by what: why
    unread: dict[str, str] = field(default_factory=dict)
    hazards: dict[str, str] = field(default_factory=dict)


def _try(report: CheckReport, what: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except Exception as exc:  # an instrument that does not answer is part of the news
        why = str(exc).split("\n")[0]
        report.unread[what] = why if len(why) <= 300 else why[:299].rsplit(" ", 1)[0] + " …"
        return None


def _tesla(value: float) -> str:
    return f"{value * 1e3:.3g} mT" if abs(value) < 1 else f"{value:.4g} T"


def _amps(value: float) -> str:
    return f"{value * 1e3:.3g} mA" if abs(value) < 1 else f"{value:.3g} A"


def _magnet_found(report: CheckReport, axis: str, magnet: Any) -> Finding | None:
    name = f"magnet {axis}"
    on = _try(report, f"{name} supply output", lambda: bool(magnet.supply.output_enabled))
    current = _try(report, f"{name} current", lambda: float(magnet.current))
    reading = _try(report, f"{name} field", lambda: float(magnet.field))
    current = current if current is not None and math.isfinite(current) else None
    reading = reading if reading is not None and math.isfinite(reading) else None
    away = (current is not None and abs(current) > ZERO_CURRENT) or \
        (reading is not None and abs(reading) > ZERO_FIELD)
    if not (on or away):
        return None
    if away:
        shown = reading if reading is not None else magnet.calibration.field(current)
        was = f"{name} was at {_tesla(shown)}"
        if current is not None:
            was += f" ({current:.3g} A)"
    else:
        was = f"{name} had its supply output on at 0 A"
    return Finding(f"magnet_{axis}", was)


def _magnet_done(report: CheckReport, finding: Finding, magnet: Any) -> None:
    if finding.role in report.hazards:
        finding.done = "NOT confirmed safe (below)"
        return
    ramp = f"ramped to zero at {magnet.limits.max_ramp_rate:g} T/s and " \
        if "was at" in finding.was else ""
    finding.done = f"{ramp}switched off"
    now = _try(report, f"{finding.role} field after", lambda: float(magnet.field))
    if now is not None:
        finding.done += f"; it now reads {_tesla(now)}"


_FUNCTIONS = {"sine": "sine", "square": "square wave", "ramp": "ramp"}


def _source_found(report: CheckReport, role: str, source: Any) -> Finding | None:
    """The 6221: its waveform (a sine armed or running: ``SOUR:WAVE:ARM? 1``, whatever
    ``OUTP?`` says), a delta or pulse-delta test armed, its DC output."""
    doing = []
    (_, wave), *tests = SOURCE_ARMED
    if _try(report, f"{role} waveform", lambda: flag(source.ask(wave))):
        function = _try(report, f"{role} waveform function",
                        lambda: str(source.waveform_function))
        amplitude = _try(report, f"{role} waveform amplitude",
                         lambda: float(source.waveform_amplitude))
        frequency = _try(report, f"{role} waveform frequency",
                         lambda: float(source.waveform_frequency))
        offset = _try(report, f"{role} waveform offset", lambda: float(source.waveform_offset))
        shape = _FUNCTIONS.get(function or "sine", "arbitrary waveform")
        size = f"{_amps(amplitude)} " if amplitude is not None else ""
        at = f" at {frequency:g} Hz" if frequency is not None else ""
        on = f" on a {_amps(offset)} offset" if offset else ""
        doing.append(f"was driving a {size}{shape}{at}{on} (armed or running)")
    for what, query in tests:
        if _try(report, f"{role} {what}", lambda q=query: flag(source.ask(q))):
            doing.append(f"had {what} armed")
    if _try(report, f"{role} output", lambda: bool(source.source_enabled)):
        level = _try(report, f"{role} DC level", lambda: float(source.source_current))
        at = f" at {_amps(level)} DC" if level is not None and math.isfinite(level) else ""
        doing.append(f"had its current output on{at}")
    if not doing:
        return None
    return Finding(role, f"{role} (the current source) " + " and ".join(doing))


def _pulser_found(report: CheckReport, role: str, pulser: Any) -> Finding | None:
    on = []
    for n in (1, 2):
        channel = getattr(pulser, f"ch_{n}")
        if _try(report, f"{role} output {n}", lambda c=channel: bool(c.output)):
            volts = _try(report, f"{role} output {n} amplitude",
                         lambda c=channel: float(c.amplitude))
            on.append(f"{n}" + (f" ({volts:.3g} V pulses)" if volts is not None else ""))
    if not on:
        return None
    return Finding(role, f"{role} (the pulse generator) had output {' and '.join(on)} on")


def _rf_found(report: CheckReport, role: str, generator: Any) -> Finding | None:
    from labspin.drivers.agilent8257d import rf_enabled

    if not _try(report, f"{role} RF output", lambda: rf_enabled(generator)):
        return None
    power = _try(report, f"{role} power", lambda: float(generator.power))
    frequency = _try(report, f"{role} frequency", lambda: float(generator.frequency))
    at = f" at {power:.3g} dBm" if power is not None else ""
    at += f", {frequency / 1e9:.4g} GHz" if frequency is not None else ""
    return Finding(role, f"{role} (the RF generator) had its RF output on{at}")


#: per driver (prefix): what reads an instrument's state, and what make-safe does to it
_FINDERS: tuple[tuple[str, Callable[[CheckReport, str, Any], Finding | None], str], ...] = (
    ("Keithley6221", _source_found, "switched off"),
    ("Keysight81160A", _pulser_found, "switched off"),
    ("Agilent8257D", _rf_found, "switched off"))


def _finder(driver: str) -> tuple[Callable[[CheckReport, str, Any], Finding | None], str] \
        | None:
    for prefix, finder, action in _FINDERS:
        if driver.startswith(prefix):
            return finder, action
    return None


def _done(report: CheckReport, finding: Finding, instrument: Any, driver: str) -> None:
    """What became of an instrument found on: what make-safe did, then the state read
    again the same way it was found."""
    if finding.role in report.hazards:
        finding.done = "NOT confirmed safe (below)"
        return
    found = _finder(driver)
    assert found is not None
    finder, action = found
    if "driving a" in finding.was or "armed" in finding.was:
        action = "aborted" if "current output on" not in finding.was else \
            "aborted and switched off"
    again = CheckReport()
    still = finder(again, finding.role, instrument)
    if still is not None:  # make-safe confirmed it off, yet it reads on: say so
        now = still.was.split(") ", 1)[-1]
        finding.done = f"{action}, yet it still reads on (it {now})"
        report.hazards.setdefault(finding.role, f"{finding.role} still reads on after being "
                                  f"made safe (it {now}): {BY_HAND}")
    elif again.unread:
        why = "; ".join(again.unread.values())
        finding.done = f"{action}; it could not be read again ({why})"
    else:
        finding.done = f"{action}; it now reads off"


def check_and_make_safe(station: Any) -> CheckReport:
    """Read what the open ``station`` is doing, make it safe, and say per item found on
    what it was at and what was done (``CheckReport.found``); ``hazards`` holds what may
    still be on afterwards (the station's own lines).

    What is read is what ``labspin.shutdown.make_safe`` switches off, each read from the
    instrument: the 6221's waveform, delta and pulse-delta tests and DC output, the
    81160A's two outputs, the RF generator's output, every magnet's supply and field."""
    report = CheckReport()
    entries = station.config.entries()
    instruments: dict[str, tuple[Any, str]] = {}
    for role, instrument in station.instruments.items():
        driver = entries[role].driver
        found = _finder(driver)
        if found is not None:
            finding = found[0](report, role, instrument)
            if finding is not None:
                report.found.append(finding)
                instruments[role] = (instrument, driver)
    magnets = {}
    for axis, magnet in station.magnets.items():
        finding = _magnet_found(report, axis, magnet)
        if finding is not None:
            report.found.append(finding)
            magnets[finding.role] = magnet
    for finding in report.found:
        log.info("found %s", finding.line())
    station.make_safe()
    report.hazards = dict(station.hazards)
    for finding in report.found:
        if finding.role in magnets:
            _magnet_done(report, finding, magnets[finding.role])
        else:
            _done(report, finding, *instruments[finding.role])
    return report


def found_lines(report: CheckReport) -> list[str]:
    """What ``labspin station check`` prints of a check, and what ``labspin run`` and
    ``labspin queue run`` print of theirs before the first run: each reading that failed,
    then each item found on with what became of it."""
    return [*(f"Could not read {what}: {why}" for what, why in report.unread.items()),
            *(f"Found: {finding.line()}" for finding in report.found)]
