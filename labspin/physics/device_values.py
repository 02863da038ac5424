"""One value of a device file: a quantity in its unit and range, a whole number, a
text or an axis (labspin.physics.devicefile).

Quantities go through the bounded parser of labspin.configfiles after the units people
write are made readable to it (superscripts, Ohm, 1/K, and the Gaussian units of
magnetism where they are unambiguous); the range a key allows comes from
labspin.physics.device_schema, and a bare number read as SI but plausible in the
file's unit gets the unit suggested.
"""

from __future__ import annotations

import math
import re
from typing import Any

from labspin.configfiles import QuantityError, parse_quantity
from labspin.physics.device_schema import Spec

MAX_NAME = 200


def read_value(spec: Spec, raw: Any, example: str) -> Any:
    """One value of a device file, checked against ``spec``: SI float, int, text,
    unit vector or None; ValueError saying what is wrong otherwise."""
    if raw is None:
        if spec.nullable:
            return None
        raise ValueError(f"has no value: give one, like {example}, or leave the key out")
    if spec.kind == "text":
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_NAME:
            raise ValueError(f"must be a short text, like {example}")
        return raw.strip()
    if spec.kind == "axis":
        return _axis(raw)
    if spec.kind == "int":
        number = _integer(raw, example)
    else:
        number = _number(spec, raw, example)
    _in_range(spec, number, raw)
    return number


def _number(spec: Spec, raw: Any, example: str) -> float:
    if spec.difference and isinstance(raw, str) and re.search(r"deg|°|celsius|fahr", raw,
                                                              re.IGNORECASE):
        raise ValueError(f"{raw!r}: a temperature difference; write it in K, like {example}")
    if not spec.shown and isinstance(raw, str) and raw.strip().endswith("%"):
        raw = raw.strip()[:-1] + " percent"
    if isinstance(raw, str):
        raw = _written_units(raw, spec.unit)
        if isinstance(raw, float):
            return raw
    target = "dimensionless" if spec.unit == "1" else spec.unit
    try:
        return parse_quantity(raw, target, example)
    except QuantityError as exc:
        text = str(exc).replace("units of dimensionless", "a pure number (no unit)")
        raise ValueError(text) from None


_SUPERSCRIPT = re.compile("[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_PLAIN = str.maketrans("⁻⁺⁰¹²³⁴⁵⁶⁷⁸⁹", "-+0123456789")
_NUMBER_UNIT = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?)\s*(.*?)\s*")
#: units of magnetism people write that pint cannot convert to SI (Gaussian units):
#: (SI unit of the key, unit written) -> SI value of one, B = mu0 H for oersted
_GAUSSIAN = {("T", "Oe"): 1e-4, ("T", "kOe"): 0.1, ("T", "G"): 1e-4, ("T", "kG"): 0.1,
             ("T", "mG"): 1e-7, ("A/m", "emu/cm^3"): 1e3, ("A/m", "emu/cc"): 1e3,
             ("A/m", "emu/cm3"): 1e3}


def _written_units(text: str, unit: str) -> str | float:
    """Units as people write them, made readable to the quantity parser: superscripts
    (A/m², Ω⁻¹), 'Ohm', inverse units (1/K, 1/(ohm m^2)); Oe, G and emu/cm^3 for the
    fields and magnetisations where they are unambiguous (a float: already SI)."""
    text = _SUPERSCRIPT.sub(lambda m: "^" + m[0].translate(_PLAIN), text)
    text = re.sub(r"(\^[+-]?\d+)(?=[A-Za-zµμΩ])", r"\1 ", text).replace("·", " ")
    text = re.sub(r"(?i)ohm", "ohm", text)
    match = _NUMBER_UNIT.fullmatch(text)
    if match is None or not match[2]:
        return text
    number, written = match[1], match[2]
    factor = _GAUSSIAN.get((unit, written.replace(" ", "")))
    if factor is not None:
        return float(f"{float(number) * factor:.12g}")
    inverse = re.fullmatch(r"(?:1\s*)?/\s*\(?([^()/]+?)\)?", written)
    if inverse:  # 1/K -> K^-1, 1/(ohm m^2) -> ohm^-1 m^-2
        factors = []
        for part in re.split(r"[\s*]+", inverse[1].strip()):
            base, _, power = part.partition("^")
            try:
                exponent = -int(power or "1")
            except ValueError:
                return text
            factors.append(f"{base}^{exponent}")
        return f"{number} {' '.join(factors)}"
    return text


def _integer(raw: Any, example: str) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"must be a whole number, like {example}")
    if isinstance(raw, str) and re.fullmatch(r"\s*\d{1,9}\s*", raw):
        return int(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        return int(raw)
    raise ValueError(f"must be a whole number, like {example}, got {raw!r}")


def _axis(raw: Any) -> tuple[float, float, float]:
    named = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}
    if isinstance(raw, str):
        text = raw.strip().lower()
        sign = -1.0 if text.startswith("-") else 1.0
        axis = named.get(text.lstrip("+-"))
        if axis is None:
            raise ValueError(f"{raw[:40]!r} is not an axis; write x, y, z or [x, y, z]")
        return tuple(sign * c for c in axis)  # type: ignore[return-value]
    if isinstance(raw, list | tuple) and len(raw) == 3 and all(
            isinstance(c, int | float) and not isinstance(c, bool) for c in raw):
        vector = [float(c) for c in raw]
        norm = math.sqrt(sum(c * c for c in vector))
        if not all(map(math.isfinite, vector)) or norm == 0:
            raise ValueError(f"{list(raw)} has no direction; write x, y, z or [x, y, z]")
        return tuple(c / norm for c in vector)  # type: ignore[return-value]
    raise ValueError("write x, y, z (along the current, across it, the film normal) or a "
                     "vector [x, y, z]")


def _in_range(spec: Spec, value: float, raw: Any) -> None:
    low, high = spec.low, spec.high
    below = low is not None and (value <= low if spec.low_open else value < low)
    above = high is not None and value > high
    if not (below or above):
        return
    given = f"{raw:g} {spec.unit}" if isinstance(raw, int | float) and spec.unit != "1" \
        else str(raw) if isinstance(raw, str) else spec.show(value)
    if below and spec.low_open and low == 0:
        what = f"{given} must be greater than 0"
    elif below:
        what = f"{given} is below the smallest allowed, {spec.show_short(low)}"
    else:
        what = f"{given} is above the largest allowed, {spec.show_short(high)}"
    hint = ""
    if isinstance(raw, int | float) and spec.shown and spec.scale != 1.0:
        as_shown = value * spec.scale
        ok_low = low is None or (as_shown > low if spec.low_open else as_shown >= low)
        if ok_low and (high is None or as_shown <= high):
            hint = (f"; a number without a unit is in {spec.unit}: did you mean "
                    f"'{raw} {spec.shown}'?")
    raise ValueError(f"{what} (allowed: {spec.range_text}){hint}")
