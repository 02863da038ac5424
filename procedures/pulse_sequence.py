"""Pulse sequences and pulse-width lists as the switching procedures take them.

Pulse-sequence grammar (:func:`parse_pulse_sequence`), items separated by commas::

    item    := current "x" width [ "*" count ]       e.g.  +30 mA x 1 ms *5
    current := [+|-] number ("A" | "mA" | "uA")       ("µA" also accepted)
    width   := number ("s" | "ms" | "us" | "ns")       ("µs" also accepted)
    count   := whole number from 1 to 10000 (repeats the pulse)
    number  := digits with an optional decimal part and exponent: 30, 2.5, 1e-3

Units are case-sensitive (mA is not MA); "×" may stand for "x". No expression is ever
evaluated. Pulse widths for :class:`SwitchingProbability` are ``width`` items separated
by commas ("100 us, 1 ms, 10 ms").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

#: unit -> power of ten; values are scaled in decimal ("50 us" is exactly 5e-05 s, not
#: 50 * 1e-6 = 4.9999999999999996e-05, which would fall below the 6221's 50 us)
CURRENT_UNITS = {"A": 0, "mA": -3, "uA": -6, "µA": -6, "μA": -6}
TIME_UNITS = {"s": 0, "ms": -3, "us": -6, "µs": -6, "μs": -6, "ns": -9}
MAX_REPEAT = 10_000

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_CURRENT_UNIT = "|".join(sorted(map(re.escape, CURRENT_UNITS), key=len, reverse=True))
_TIME_UNIT = "|".join(sorted(map(re.escape, TIME_UNITS), key=len, reverse=True))
_WIDTH_RE = rf"(?P<width>{_NUMBER})\s*(?P<wunit>{_TIME_UNIT})"
_ITEM = re.compile(rf"(?P<sign>[+-]?)\s*(?P<amp>{_NUMBER})\s*(?P<aunit>{_CURRENT_UNIT})\s*"
                   rf"[x×]\s*{_WIDTH_RE}\s*(?:\*\s*(?P<count>\d+))?")
_WIDTH = re.compile(_WIDTH_RE)
_HELP = ("write items like '+30 mA x 1 ms *5' (current in A, mA or uA; width in s, ms, "
         "us or ns; '*N' repeats), separated by commas")


class SequenceError(ValueError):
    """A pulse sequence or width list that cannot be read; names the bad item."""


@dataclass(frozen=True)
class Pulse:
    """One current pulse: signed amplitude (A) and width (s)."""

    amplitude: float
    width: float


def _si(number: str, power: int) -> float:
    return float(Decimal(number).scaleb(power))


def _items(text: str, what: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        raise SequenceError(f"the {what} is empty")
    items = [item.strip() for item in text.split(",")]
    for k, item in enumerate(items, start=1):
        if not item:
            raise SequenceError(f"{what} item {k} is empty (two commas in a row, or a "
                                "trailing comma)")
    return items


def parse_pulse_sequence(text: str) -> list[Pulse]:
    """Pulses of a sequence like "+30 mA x 1 ms *5, -30 mA x 1 ms *5" (module docstring
    gives the grammar), repeats expanded, in order."""
    pulses: list[Pulse] = []
    for k, item in enumerate(_items(text, "pulse sequence"), start=1):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise SequenceError(f"pulse sequence item {k} {item!r} is not understood; {_HELP}")
        amplitude = _si(match["amp"], CURRENT_UNITS[match["aunit"]])
        amplitude = -amplitude if match["sign"] == "-" else amplitude
        width = _si(match["width"], TIME_UNITS[match["wunit"]])
        count = int(match["count"]) if match["count"] is not None else 1
        if amplitude == 0:
            raise SequenceError(f"pulse sequence item {k} {item!r} has no current; leave "
                                "it out instead")
        if width <= 0:
            raise SequenceError(f"pulse sequence item {k} {item!r} has a zero width")
        if not 1 <= count <= MAX_REPEAT:
            raise SequenceError(f"pulse sequence item {k} {item!r} repeats {count} times; "
                                f"use 1 to {MAX_REPEAT}")
        pulses.extend([Pulse(amplitude, width)] * count)
    return pulses


def parse_pulse_widths(text: str) -> list[float]:
    """Widths (s) from a list like "100 us, 1 ms, 10 ms", in the order given."""
    widths = []
    for k, item in enumerate(_items(text, "pulse-width list"), start=1):
        match = _WIDTH.fullmatch(item)
        if match is None:
            raise SequenceError(f"pulse width {k} {item!r} is not understood; write widths "
                                "like '100 us, 1 ms' (units s, ms, us or ns)")
        width = _si(match["width"], TIME_UNITS[match["wunit"]])
        if width <= 0:
            raise SequenceError(f"pulse width {k} {item!r} is zero")
        widths.append(width)
    return widths
