"""Procedure settings from people: text (``--set``) or YAML values (queue files).

Every value is converted and checked here, before pymeasure sees it, so that each
refusal is one line naming the parameter, its unit and its range ("pulse_width 20 ms is
above its maximum 12 ms (s, 1 ns to 12 ms)"), never pymeasure's "FloatParameter value
is above the maximum". Numbers must be finite; whole numbers must be whole; text
parameters (a pulse sequence, a list of widths) are read by their procedure at once, so
a typo is refused here and not in the middle of a night.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from labspin.configfiles import QuantityError, parse_quantity

#: longest text a text parameter takes (a sequence of a few hundred pulses)
MAX_TEXT = 10_000
#: most points (rows) one run may plan; more is a typo in a step or a count
MAX_POINTS_PER_RUN = 1_000_000
_SI_UNITS = {"A", "s", "T", "V", "J", "ohm", "Hz", "m", "W"}
_PREFIXES = ((1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"),
             (1e6, "M"), (1e9, "G"))
_WHOLE = re.compile(r"[+-]?\d{1,18}")
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


class SettingError(ValueError):
    """A parameter value that cannot be used; the message is one line naming it
    (``parameter``, when one parameter is at fault)."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


def quantity_text(value: float, unit: str | None) -> str:
    """``0.012, 's'`` -> ``'12 ms'``: how a person writes the value."""
    if not unit:
        return f"{value:g}"
    if unit not in _SI_UNITS or value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}"
    scale, prefix = 1e-12, "p"
    for s, p in _PREFIXES:
        if abs(value) >= s * (1 - 1e-12):
            scale, prefix = s, p
    return f"{value / scale:.6g} {prefix}{unit}"


def _kind(param: Any) -> str:
    from pymeasure.experiment import (
        BooleanParameter,
        FloatParameter,
        IntegerParameter,
        ListParameter,
    )

    for cls, kind in ((BooleanParameter, "flag"), (IntegerParameter, "whole"),
                      (FloatParameter, "number"), (ListParameter, "choice")):
        if isinstance(param, cls):
            return kind
    return "text"


def describe_parameter(param: Any) -> str:
    """The unit and range of a parameter, as put in brackets after a refusal."""
    if hasattr(param, "describe"):  # a parameter that says it itself (stage temperature)
        return param.describe()
    kind = _kind(param)
    units = getattr(param, "units", None)
    if kind == "choice":
        return "one of " + ", ".join(repr(str(c)) for c in param.choices)
    if kind == "flag":
        return "true or false"
    if kind == "text":
        return f"text, like {param.default!r}" if param.default else "text"
    low, high = quantity_text(param.minimum, units), quantity_text(param.maximum, units)
    span = f"{low} to {high}"
    if kind == "whole":
        return f"a whole number{f' of {units}' if units else ''}, {span}"
    return f"{units}, {span}" if units else span


def _refuse(name: str, param: Any, problem: str) -> SettingError:
    return SettingError(f"{name} {problem} ({param.name}: {describe_parameter(param)})",
                        name)


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _strip_unit(text: str, units: str | None) -> str:
    text = text.strip()
    if units and text.endswith(units) and text[:-len(units)].strip():
        head = text[:-len(units)]
        if head.endswith(" ") or not head[-1].isalpha():
            return head.strip()
    return text


def _number(name: str, param: Any, value: Any) -> float:
    units = getattr(param, "units", None)
    example = f"'{quantity_text(param.default, units)}'" if param.default is not None \
        else "a number"
    if isinstance(value, str):
        value = _strip_unit(value, units) if units and not _pint_unit(units) else value
    try:
        number = parse_quantity(value, units or "dimensionless", example)
    except QuantityError as exc:
        raise _refuse(name, param, f"{_shown(value)} {exc.reason}") from None
    return number


def _pint_unit(units: str) -> bool:
    """True when pint knows ``units`` (NPLC, for one, it does not)."""
    try:
        parse_quantity(f"1 {units}", units, "")
    except QuantityError:
        return False
    return True


def _in_range(name: str, param: Any, number: float) -> None:
    units = getattr(param, "units", None)
    if number < param.minimum:
        raise _refuse(name, param, f"{quantity_text(number, units)} is below its minimum "
                                   f"{quantity_text(param.minimum, units)}")
    if number > param.maximum:
        raise _refuse(name, param, f"{quantity_text(number, units)} is above its maximum "
                                   f"{quantity_text(param.maximum, units)}")


def convert(name: str, param: Any, value: Any) -> Any:
    """``value`` as the parameter takes it; :class:`SettingError` otherwise."""
    kind = _kind(param)
    own = getattr(param, "convert_setting", None)  # a parameter that reads text itself
    if own is not None:
        try:
            return own(value)
        except ValueError as exc:
            raise _refuse(name, param, str(exc)) from None
    if value is None:
        raise _refuse(name, param, "has no value")
    if kind == "number":
        number = _number(name, param, value)
        _in_range(name, param, number)
        return number
    if kind == "whole":
        if isinstance(value, str):
            text = _strip_unit(value, getattr(param, "units", None))
            value = int(text) if _WHOLE.fullmatch(text) else _number(name, param, text)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _refuse(name, param, f"{_shown(value)} is not a whole number")
        if isinstance(value, float) and not math.isfinite(value):
            raise _refuse(name, param, f"{_shown(value)} is not a finite number")
        if isinstance(value, float) and not value.is_integer():
            raise _refuse(name, param, f"{_shown(value)} is not a whole number")
        number = int(value)
        _in_range(name, param, number)
        return number
    if kind == "flag":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _refuse(name, param, f"{_shown(value)} is not true or false")
    if kind == "choice":
        text = str(value).strip() if isinstance(value, str | int | float) else None
        for choice in param.choices:
            if text is not None and text == str(choice):
                return choice
        raise _refuse(name, param, f"{_shown(value)} is not a choice")
    # free text (a pulse sequence, a list of widths or fields)
    if isinstance(value, list | tuple) and all(
            isinstance(v, int | float | str) and not isinstance(v, bool) for v in value):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _refuse(name, param, f"{_shown(value)} is not text")
    value = str(value)
    if len(value) > MAX_TEXT:
        raise _refuse(name, param, f"is {len(value)} characters long; at most {MAX_TEXT}")
    return value


def _planning_errors() -> tuple[type[BaseException], ...]:
    from labspin.procedures.base import ProcedureError

    # a ProcedureError here is a conflict between settings ("the pulse currents must all
    # have the same sign"): one line like any other refusal, never a traceback
    return (ProcedureError, ValueError, TypeError, ArithmeticError, LookupError)


def configure(cls: type, values: Mapping[str, Any], procedure: Any = None) -> Any:
    """A ``cls`` procedure with ``values`` (raw text or YAML values) applied and checked:
    every value converted, the text parameters read, the number of points bounded.
    Raises :class:`SettingError` (one line) on the first problem.

    ``procedure``: an instance to configure again instead of a new one (pymeasure
    procedures are slow to make); only one that was configured with the same parameter
    names, so that no value of an earlier configuration survives."""
    planning_errors = _planning_errors()
    procedure = cls() if procedure is None else procedure
    known = procedure.parameter_objects()
    for name in values:
        if name not in known:
            raise SettingError(f"{cls.__name__} has no parameter {name!r}; it has "
                               f"{', '.join(known)}", name)
    converted = {name: convert(name, known[name], value) for name, value in values.items()}
    try:
        procedure.set_parameters(converted)
        procedure.parameter_values()
    except (ValueError, TypeError, NameError, ArithmeticError) as exc:  # not expected
        raise SettingError(f"{cls.__name__}: {exc}") from None
    texts = [name for name in values if _kind(known[name]) == "text"]
    try:  # everything a plan, an estimate or the window asks of the settings
        points = procedure.planned_points()
        procedure.estimated_duration()
    except planning_errors as exc:
        if texts and isinstance(exc, ValueError):  # a text parameter that does not read
            raise SettingError(f"{', '.join(texts)}: {exc} ({known[texts[0]].name}: "
                               f"{describe_parameter(known[texts[0]])})", texts[0]) from None
        raise SettingError(f"{cls.__name__}: {exc}") from None
    if not (isinstance(points, int | float) and 0 <= points <= MAX_POINTS_PER_RUN):
        raise SettingError(f"{cls.__name__} with these settings would measure {points:,} "
                           f"points in one run, more than {MAX_POINTS_PER_RUN:,}; use "
                           "fewer steps, loops or trials, or split it into several runs")
    return procedure
