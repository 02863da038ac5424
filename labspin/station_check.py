"""``labspin station check``: what the bench was found doing, and what was done about it.

A station is opened after something else had it: a run killed with ``kill -9``, a
crashed window, a colleague's script. Before anything is switched off, every magnet's
supply (output, current, field), every current source, pulse generator and RF generator
is read; then the bench is made safe (``labspin.shutdown``) and read again. Each item
found on gives one line saying what it was at and what became of it ("magnet z was at
250 mT (8.33 A), left on by a previous process: ramped to zero at 0.5 T/s and switched
off; it now reads 0.1 mT"), so the user learns that something had been left on, not
only that it is off now.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labspin.bench_state import ZERO_FIELD

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
        report.unread[what] = str(exc).split("\n")[0][:160]
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


def _source_found(report: CheckReport, role: str, source: Any) -> Finding | None:
    on = _try(report, f"{role} output", lambda: bool(source.source_enabled))
    if not on:
        return None
    level = _try(report, f"{role} DC level", lambda: float(source.source_current))
    at = f" at {_amps(level)} DC" if level is not None and math.isfinite(level) else ""
    return Finding(role, f"{role} had its current output on{at}")


def _pulser_found(report: CheckReport, role: str, pulser: Any) -> Finding | None:
    on = [n for n in (1, 2)
          if _try(report, f"{role} output {n}", lambda n=n: bool(getattr(pulser, f"ch_{n}")
                                                                   .output))]
    if not on:
        return None
    return Finding(role, f"{role} had output {' and '.join(map(str, on))} on")


def _rf_found(report: CheckReport, role: str, generator: Any) -> Finding | None:
    from labspin.drivers.agilent8257d import rf_enabled

    if not _try(report, f"{role} RF output", lambda: rf_enabled(generator)):
        return None
    power = _try(report, f"{role} power", lambda: float(generator.power))
    frequency = _try(report, f"{role} frequency", lambda: float(generator.frequency))
    at = f" at {power:.3g} dBm" if power is not None else ""
    at += f", {frequency / 1e9:.4g} GHz" if frequency is not None else ""
    return Finding(role, f"{role} had its RF output on{at}")


_FINDERS = (("Keithley6221", _source_found), ("Keysight81160A", _pulser_found),
            ("Agilent8257D", _rf_found))


def check_and_make_safe(station: Any) -> CheckReport:
    """Read what the open ``station`` is doing, make it safe, and say per item found on
    what it was at and what was done (``CheckReport.found``); ``hazards`` holds what may
    still be on afterwards (the station's own lines)."""
    report = CheckReport()
    entries = station.config.entries()
    for role, instrument in station.instruments.items():
        driver = entries[role].driver
        for prefix, finder in _FINDERS:
            if driver.startswith(prefix):
                finding = finder(report, role, instrument)
                if finding is not None:
                    report.found.append(finding)
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
        elif finding.role in report.hazards:
            finding.done = "NOT confirmed safe (below)"
        else:
            finding.done = "switched off (read back)"
    return report
