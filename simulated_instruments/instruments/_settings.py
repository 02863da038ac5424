"""Declarative SCPI settings shared by the Keithley 6221 model's modules.

``_number``, ``_choice`` and ``_flag`` make a handler that sets or queries one attribute
of the model, ``_event`` an event register cleared by reading; ``_source`` declares a
command under an optional SOURce root, as the 6221 accepts (Model 6220/6221 Reference
Manual, section 10). ``I_MAX`` bounds every current setting, DC, waveform and Delta.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from labspin.simulated_instruments.scpi import (
    DATA_TYPE,
    InstrumentError,
    SimulatedInstrument,
    parse_bool,
    parse_float,
    scpi,
)

I_MAX = 0.105  # A, largest source level (manual section 3)


def _fmt(value: float) -> str:
    return "+9.900000E+37" if math.isinf(value) else f"{value:+.6E}"


def _word(text: str | None, options: tuple[str, ...]) -> str:
    """Match SCPI character data against mnemonics like ``FIXed``; return the short form."""
    word = (text or "").strip().strip("'\"").upper()
    for option in options:
        short = "".join(c for c in option if c.isupper() or c.isdigit())
        if word in (short, option.upper()):
            return short
    raise InstrumentError(*DATA_TYPE)


def _source(spec: str) -> Callable:
    """Declare a SOURce command; the SOURce root is optional on the 6221 (section 10)."""
    def wrap(func: Callable) -> Callable:
        return scpi(spec)(scpi(f"SOURce:{spec}")(func))
    return wrap


def _number(spec: str, attr: str, low: float, high: float, *, infinite: bool = False,
            integer: bool = False, then: str | None = None, root: bool = True) -> Callable:
    """A numeric setting stored on the model (``root``: under the optional SOURce)."""
    def handler(self: SimulatedInstrument, args: str | None, query: bool) -> str | None:
        if query:
            value = getattr(self, attr)
            return str(int(value)) if integer and math.isfinite(value) else _fmt(value)
        if infinite and (args or "").strip().upper() in ("INF", "INFINITY"):
            value = math.inf
        else:
            value = parse_float(args, minimum=low, maximum=high,
                                keywords={"MINIMUM": low, "MAXIMUM": high})
            value = round(value) if integer else value
        setattr(self, attr, value)
        if then:
            getattr(self, then)()
        return None
    return (_source(spec) if root else scpi(spec))(handler)


def _choice(spec: str, attr: str, options: tuple[str, ...], *, root: bool = True) -> Callable:
    def handler(self: SimulatedInstrument, args: str | None, query: bool) -> str | None:
        if query:
            return getattr(self, attr)
        setattr(self, attr, _word(args, options))
        return None
    return (_source(spec) if root else scpi(spec))(handler)


def _flag(spec: str, attr: str, *, then: str | None = None, root: bool = True) -> Callable:
    def handler(self: SimulatedInstrument, args: str | None, query: bool) -> str | None:
        if query:
            return "1" if getattr(self, attr) else "0"
        setattr(self, attr, parse_bool(args))
        if then:
            getattr(self, then)()
        return None
    return (_source(spec) if root else scpi(spec))(handler)


def _event(spec: str, attr: str) -> Callable:
    """An event register: latched bits, cleared by reading (section 11)."""
    def handler(self: SimulatedInstrument, args: str | None, query: bool) -> str:
        event = getattr(self, attr)
        setattr(self, attr, 0)
        return str(event)
    return scpi(spec)(handler)
