"""Parameter values as the window shows them: the parameter's own label and the value
with its unit ("Pulse width 300 µs"), from the procedure class that recorded them."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from labspin.gui.parameter_form import format_value, parameter_names
from labspin.procedures import UnknownProcedureError, procedure_class


@lru_cache(maxsize=32)
def _parameters(procedure: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The parameter objects of a procedure (by class name) and their display order;
    empty when labspin does not know the procedure (a run of an older version)."""
    try:
        cls = procedure_class(procedure)
    except UnknownProcedureError:
        return {}, ()
    return cls().parameter_objects(), tuple(parameter_names(cls))


def labelled(procedure: str, values: dict[str, Any],
             names: list[str] | tuple[str, ...] | None = None) -> list[tuple[str, str, str]]:
    """``(name, label, value with unit)`` for ``names`` (default: every value), in the
    procedure's order; a name the procedure does not have keeps its name and raw value."""
    objects, order = _parameters(procedure)
    wanted = list(values) if names is None else [n for n in names if n in values]
    ranked = sorted(wanted, key=lambda n: order.index(n) if n in order else len(order))
    rows = []
    for name in ranked:
        param = objects.get(name)
        value = values[name]
        if param is None:
            rows.append((name, name, f"{value:.6g}" if isinstance(value, float) else
                         str(value)))
        else:
            rows.append((name, param.name, format_value(param, value)))
    return rows


def summary(procedure: str, values: dict[str, Any],
            names: list[str] | tuple[str, ...] | None = None, sep: str = " · ") -> str:
    """One line: ``"Pulse width 300 µs · Readout R_xx 2w"``."""
    return sep.join(f"{label} {text}" for _, label, text in labelled(procedure, values,
                                                                      names))


def changed_from_defaults(procedure: str, values: dict[str, Any]) -> list[str]:
    """The names whose value differs from the procedure's default."""
    objects, _ = _parameters(procedure)
    return [name for name, value in values.items()
            if name in objects and objects[name].default != value]
