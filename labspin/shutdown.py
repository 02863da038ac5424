"""Making the bench safe, and saying exactly what may still be on where it cannot be.

``make_safe(station)`` goes through every current source, pulse generator and magnet,
each on its own, so one that fails never keeps the others on:

1. the normal shutdown, confirmed by reading the state back (6221: sine, delta and
   pulse-delta tests aborted and output off; 81160A: both outputs off; magnets: ramped
   to zero at the allowed rate, output off);
2. an instrument that no longer answers queries (a timeout, or garbage replies) often
   still accepts commands, as a timed-out GPIB instrument does: the same shutdown is sent
   by writes only (a magnet's setpoint stepped to zero at the allowed rate by the clock,
   without reading it back, then output off), and the warning says it could not be
   confirmed;
3. an instrument nothing reaches any more (the connection is gone) keeps what it had: the
   warning names it and what may still be on, with numbers, from what labspin last set.

The warnings are the lines a user must read (the CLI prints them last); none means the
bench is confirmed safe. What is logged on the way (each instrument that failed, each ramp
by writes) is for the log files: the warnings returned say all of it, so a front end that
prints them passes over those records (:func:`restated`) and the terminal says it once.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from labspin.instrument_io import InstrumentDisconnected, InstrumentFault

log = logging.getLogger(__name__)

BY_HAND = "switch its output off by hand"

#: the attribute (``extra={RESTATED: True}``) of a log record that only restates what its
#: caller is handed back: a run's error in its catalog record, a make-safe warning
RESTATED = "labspin_restated"
_making_safe: contextvars.ContextVar[bool] = contextvars.ContextVar("labspin_making_safe",
                                                                   default=False)


def restated(record: logging.LogRecord) -> bool:
    """Whether ``record`` only restates what the caller of a run or of ``make_safe`` is
    handed back (every record logged while the bench is made safe, and those marked
    :data:`RESTATED`): a front end that prints what it is handed need not print it too."""
    return bool(getattr(record, RESTATED, False)) or _making_safe.get()


class UnsafeShutdown(RuntimeError):
    """The bench could not be confirmed safe; the message says what may still be on."""


def _name(station: Any, role: str, label: str | None = None) -> str:
    entry = station.config.entries().get(role)
    label = label or role
    return f"{label} ({entry.driver} at {entry.resource})" if entry is not None else label


def _reason(exc: BaseException) -> str:
    """Why an instrument could not be made safe, in a few words with the exchange."""
    if isinstance(exc, InstrumentDisconnected):
        return "its connection is lost"
    if isinstance(exc, InstrumentFault):
        if exc.reply is not None:
            asked = f" to {exc.command!r}" if exc.command else ""
            return f"it answered {exc.reply.strip()[:20]!r}{asked}"
        return f"it did not answer {exc.command!r}" if exc.command else "it does not answer"
    return str(exc)


def _milli(value: float, unit: str) -> str:
    return f"{value * 1e3:.3g} m{unit}" if abs(value) < 1 else f"{value:.3g} {unit}"


# -- the 6221 -----------------------------------------------------------------------------------
#: what a 6221 may be left doing besides its DC output, and the query that says so (a sine
#: armed or running reads ``SOUR:WAVE:ARM? 1`` while ``OUTP?`` reads 0)
SOURCE_ARMED = (("its waveform", ":SOUR:WAVE:ARM?"), ("a delta test", ":SOUR:DELT:ARM?"),
                ("a pulse-delta test", ":SOUR:PDEL:ARM?"))


def flag(reply: Any) -> bool:
    """An instrument's 0/1 (or OFF/ON) reply as a bool; ValueError for anything else."""
    text = str(reply).strip().upper()
    if text in ("ON", "OFF"):
        return text == "ON"
    return bool(int(float(text)))


def source_armed(source: Any, tests: bool = False) -> list[str]:
    """What the 6221 reports armed or running, read back: its waveform (which drives the
    bar with ``OUTP?`` 0), and with ``tests`` its delta and pulse-delta tests too (those
    drive it through the output, which ``OUTP?`` reads)."""
    return [what for what, query in (SOURCE_ARMED if tests else SOURCE_ARMED[:1])
            if flag(source.ask(query))]


def source_exposure(station: Any, role: str) -> str | None:
    """What the current source may drive, from what labspin last sent it, or None."""
    io = station.io
    settings = io.settings.get(role, {})
    sine = io.last_matching(role, {r"WAVE:INIT": True, r"WAVE:ABOR|^\*RST": False}, False)
    output = io.last_matching(role, {r"^:?OUTP\w*\s+(1|ON)\s*$": True,
                                     r"^:?OUTP\w*\s+(0|OFF)\s*$|^\*RST": False}, False)
    parts = []
    if sine:
        amplitude = settings.get("waveform_amplitude")
        parts.append(f"drive its {_milli(amplitude, 'A')} sine" if amplitude is not None
                     else "drive its sine current")
    if output and settings.get("source_current"):
        parts.append(f"drive {_milli(settings['source_current'], 'A')} DC")
    return " and ".join(parts) or None


def _source_safe(station: Any, role: str, source: Any) -> str | None:
    name = _name(station, role)
    try:
        source.waveform_abort()  # a running sine, delta or pulse-delta test stops first
        source.write(":SOUR:SWE:ABOR")
        source.shutdown()  # output off
    except Exception as error:
        exc = station.explain(error)
        log.error("could not switch %s off: %s", name, exc)
        exposure = source_exposure(station, role)
        if exposure:
            return f"{name} may still {exposure} ({_reason(exc)}): {BY_HAND}"
        return (f"{name} cannot be reached ({_reason(exc)}); labspin had left its output "
                "off, but could not confirm it: check that it is off")
    try:
        on = bool(source.source_enabled)
        armed = source_armed(source)
    except Exception as error:
        exc = station.explain(error)
        log.error("could not confirm that %s is off: %s", name, exc)
        return (f"{name}: its sine, sweeps and output were switched off by writes only "
                f"({_reason(exc)}), which could not be confirmed: check that its output is off")
    if on or armed:
        still = ["its output on"] * on + [f"{what} armed" for what in armed]
        return (f"{name} still reports {' and '.join(still)} after being switched off: "
                f"{BY_HAND}")
    return None


# -- the 81160A ---------------------------------------------------------------------------------
def pulser_exposure(station: Any, role: str) -> str | None:
    io = station.io
    settings = io.settings.get(role, {})
    on = []
    for n in (1, 2):
        if io.last_matching(role, {rf"^:?OUTP\w*?{n}\s+(1|ON)\s*$": True,
                                   rf"^:?OUTP\w*?{n}\s+(0|OFF)\s*$|^\*RST": False}, False):
            volts = settings.get(f"ch{n}.amplitude")
            on.append(f"output {n} on" + (f" ({volts:.3g} V pulses)" if volts else ""))
    return "have " + " and ".join(on) if on else None


def _pulser_safe(station: Any, role: str, pulser: Any) -> str | None:
    name = _name(station, role)
    channels = ((1, pulser.ch_1), (2, pulser.ch_2))
    try:
        for _, channel in channels:
            channel.output = False
    except Exception as error:
        exc = station.explain(error)
        log.error("could not switch %s off: %s", name, exc)
        exposure = pulser_exposure(station, role)
        if exposure:
            return f"{name} may still {exposure} ({_reason(exc)}): {BY_HAND}"
        return (f"{name} cannot be reached ({_reason(exc)}); labspin had left its outputs "
                "off, but could not confirm it: check that they are off")
    try:
        on = [n for n, channel in channels if channel.output]
    except Exception as error:
        exc = station.explain(error)
        log.error("could not confirm that %s is off: %s", name, exc)
        return (f"{name}: its outputs were switched off by writes only ({_reason(exc)}), "
                "which could not be confirmed: check that they are off")
    if on:
        return (f"{name} still reports output {' and '.join(map(str, on))} on after being "
                f"switched off: {BY_HAND}")
    return None


# -- the RF generator (spin-torque FMR) ---------------------------------------------------------
def rf_exposure(station: Any, role: str) -> str:
    """What the RF generator may emit, from what labspin last set on it."""
    settings = station.io.settings.get(role, {})
    power, frequency = settings.get("power"), settings.get("frequency")
    level = f" at {power:.3g} dBm" if isinstance(power, int | float) else ""
    at = f", {frequency / 1e9:.4g} GHz" if isinstance(frequency, int | float) else ""
    return f"emit RF{level}{at}"


def _rf_safe(station: Any, role: str, generator: Any) -> str | None:
    from labspin.drivers.agilent8257d import rf_enabled, rf_off

    name = _name(station, role)
    try:
        rf_off(generator)
    except Exception as error:
        exc = station.explain(error)
        log.error("could not switch the RF of %s off: %s", name, exc)
        return f"{name} may still {rf_exposure(station, role)} ({_reason(exc)}): {BY_HAND}"
    try:
        on = rf_enabled(generator)
    except Exception as error:
        exc = station.explain(error)
        log.error("could not confirm that the RF of %s is off: %s", name, exc)
        return (f"{name}: its RF output was switched off by writes only ({_reason(exc)}), "
                "which could not be confirmed: check that it is off")
    if on:
        return f"{name} still reports its RF output on after being switched off: {BY_HAND}"
    return None


# -- magnets ------------------------------------------------------------------------------------
def _field_text(magnet: Any, current: float) -> str:
    return f"{current:.3g} A (about {_milli(magnet.calibration.field(current), 'T')})"


def _magnet_safe(station: Any, axis: str, magnet: Any) -> str | None:
    role = f"magnet_{axis}"
    name = _name(station, role, f"magnet {axis}")
    # an earlier make-safe already stepped it to zero by writes only (closing the station
    # after a run whose shutdown did so): the same warning holds; say it once, not again
    again = magnet.unconfirmed_from is not None and magnet.programmed_current == 0
    try:
        magnet.shutdown()  # ramped down at the allowed rate, output off, both read back
        return None
    except Exception as error:
        first = station.explain(error)
        (log.debug if again else log.error)("could not ramp %s to zero: %s", name, first)
    if not isinstance(first, InstrumentFault) or isinstance(first, InstrumentDisconnected):
        return _magnet_left_on(name, magnet, first)
    try:  # it stopped answering, but may still accept commands
        start = magnet.shutdown_by_writes()
    except Exception as error:
        exc = station.explain(error)
        log.error("could not ramp %s to zero by writes: %s", name, exc)
        return _magnet_left_on(name, magnet, exc if isinstance(exc, InstrumentFault) else first)
    origin = magnet.unconfirmed_from if magnet.unconfirmed_from is not None else start
    ramp = (f" from {_field_text(magnet, origin)} at {magnet.limits.max_ramp_rate:g} T/s"
            if origin else "")
    return (f"{name} was ramped to zero by writes only{ramp} and its output switched off "
            f"({_reason(first)}), but the field could not be confirmed: check that its output "
            "is off")


def _magnet_left_on(name: str, magnet: Any, exc: BaseException) -> str:
    current = magnet.programmed_current
    if current is None:
        return (f"{name} cannot be reached ({_reason(exc)}); labspin has set no current on it "
                "since it was last off: check by hand that its output is off")
    if current == 0:
        return f"{name} may still have its output on at 0 A ({_reason(exc)}): {BY_HAND}"
    return f"{name} may still carry {_field_text(magnet, current)} ({_reason(exc)}): {BY_HAND}"


# -- the whole bench ----------------------------------------------------------------------------
def make_safe(station: Any) -> dict[str, str]:
    """Every source, pulse generator, RF generator and magnet made safe, each tried
    whatever the others did; returns, per item not confirmed safe, the line that says
    what may still be on."""
    token = _making_safe.set(True)  # what is logged here, the warnings returned say
    try:
        return _make_safe(station)
    finally:
        _making_safe.reset(token)


def _make_safe(station: Any) -> dict[str, str]:
    warnings: dict[str, str] = {}
    entries = station.config.entries()
    for role, instrument in station.instruments.items():
        driver = entries[role].driver
        if driver.startswith("Keithley6221"):
            warning = _source_safe(station, role, instrument)
        elif driver == "Keysight81160A":
            warning = _pulser_safe(station, role, instrument)
        elif driver.startswith("Agilent8257D"):
            warning = _rf_safe(station, role, instrument)
        else:
            continue
        if warning:
            warnings[role] = warning
    for axis, magnet in station.magnets.items():
        warning = _magnet_safe(station, axis, magnet)
        if warning:
            warnings[f"magnet_{axis}"] = warning
    return warnings
