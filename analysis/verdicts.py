"""The fit verdict of a summary row: ok, poor or not determined, with the reason.

The interface is fixed by the shared brief (docs: README "Fit verdicts"): every fit
result and summary row carries ``verdict``, ``verdict_reason`` and ``undetermined``
(comma-separated names whose value and ``_stderr`` are NaN). A run-level check may only
make a verdict worse, through :func:`worsen`.

The fit models set the verdict themselves (``labspin.analysis.models._common.worsen``);
for a result that comes without one, :func:`ensure_verdict` applies the generic rules
(fit not converged, sigma unknown, sigma comparable to the value) so that nothing is
shown as a number without them. :func:`settle` then makes the row consistent: every
quantity computed from an undetermined one is undetermined too, and a row whose verdict
is "not determined" has no headline number left.
"""

from __future__ import annotations

import math
import re
from collections.abc import MutableMapping
from typing import Any

from labspin.analysis.models._common import worsen

__all__ = ["HEADLINE", "LEVELS", "OK", "POOR", "UNDETERMINED", "ensure_verdict",
           "headline", "is_undetermined", "settle", "undetermined_names", "worsen"]

OK, POOR, UNDETERMINED = "ok", "poor", "not determined"
#: in order of severity
LEVELS = (OK, POOR, UNDETERMINED)
_RANK = {level: i for i, level in enumerate(LEVELS)}

#: per kind of run, the quantities a verdict of "not determined" takes away
HEADLINE: dict[str, tuple[str, ...]] = {
    "hall_loop": ("r_ahe", "r_ohe", "b_c_plus", "b_c_minus", "exchange_bias", "coercivity",
                  "step", "half_step"),
    "usmr_loop": ("step", "half_step", "b_c_plus", "b_c_minus", "exchange_bias",
                  "coercivity"),
    "switching_loop": ("i_c_plus", "i_c_minus", "i_c", "j_c_plus", "j_c_minus",
                       "energy_plus", "energy_minus", "step", "half_step"),
    "switching_probability": ("i_50", "i_c0", "delta_0", "i_c0_corrected",
                              "delta_0_corrected"),
    "harmonic_hall": ("b_dl", "b_fl", "b_dl_per_ampere", "b_fl_per_ampere", "xi_dl",
                      "r_phe", "r_ahe", "apparent_x", "apparent_y", "b_longitudinal",
                      "b_transverse", "dl_amplitude_low", "fl_amplitude_low",
                      "dl_amplitude_high", "fl_amplitude_high"),
    "pulse_sequence": ("contrast", "level_high", "level_low"),
}
#: quantity -> the quantities computed from it (undetermined with it)
DERIVED: dict[str, tuple[str, ...]] = {
    "b_c_plus": ("exchange_bias", "coercivity"),
    "b_c_minus": ("exchange_bias", "coercivity"),
    "step": ("half_step",),
    "half_step": ("step", "r_ahe"),
    "slope": ("r_ohe",),
    "i_c_plus": ("j_c_plus", "energy_plus", "i_c"),
    "i_c_minus": ("j_c_minus", "energy_minus", "i_c"),
    "j_c_plus": ("i_c_plus",),
    "j_c_minus": ("i_c_minus",),
    "i_50_0": ("i_50",),
    "b_dl": ("b_dl_per_ampere", "xi_dl"),
    "b_dl_per_ampere": ("b_dl", "xi_dl"),
    "b_fl": ("b_fl_per_ampere",),
    "b_fl_per_ampere": ("b_fl",),
    "apparent_x": ("b_dl", "b_longitudinal"),
    "apparent_y": ("b_fl", "b_transverse"),
}
#: magnitudes that are never zero when determined: sigma >= |value| leaves them
#: undetermined (an exchange bias or a field-like field may be zero within its sigma)
_NONZERO = {"r_ahe", "step", "half_step", "b_c_plus", "b_c_minus", "coercivity",
            "i_c_plus", "i_c_minus", "i_c", "i_50", "i_c0", "delta_0", "contrast",
            "i_c0_corrected", "delta_0_corrected"}
_I50_K = re.compile(r"^i_50_\d+$")
#: relative sigma above which a quantity is "poor" (VERDICT.md: about 30 %)
POOR_RELATIVE_SIGMA = 0.3


def _names(text: Any) -> list[str]:
    if not isinstance(text, str):
        return []
    return [n.strip() for n in text.split(",") if n.strip()]


def _reasons(text: Any) -> list[str]:
    if not isinstance(text, str):
        return []
    return [r.strip() for r in text.split("; ") if r.strip()]




def headline(row: MutableMapping) -> list[str]:
    """The headline quantities of the row's kind that the row holds."""
    names = list(HEADLINE.get(str(row.get("kind")), ()))
    if row.get("kind") == "switching_probability":
        names += sorted(k for k in row if _I50_K.match(str(k)))
    return [n for n in names if n in row]


def undetermined_names(row: MutableMapping) -> list[str]:
    return _names(row.get("undetermined"))


def is_undetermined(row: MutableMapping, name: str) -> bool:
    """True when ``name`` must not be shown as a number: listed as undetermined, the
    whole row not determined, or its value missing or not finite."""
    if row.get("verdict") == UNDETERMINED or name in undetermined_names(row):
        return True
    try:
        return not math.isfinite(float(row.get(name)))
    except (TypeError, ValueError):
        return True


def _number(row: MutableMapping, key: str) -> float:
    try:
        return float(row.get(key))
    except (TypeError, ValueError):
        return math.nan


def _with_unit(row: MutableMapping, name: str, value: float) -> str:
    from labspin.analysis.formatting import si, unit_of

    unit = unit_of(str(row.get("kind")), name)
    return si(value, unit) if unit else f"{value:.3g}"


def ensure_verdict(row: MutableMapping) -> MutableMapping:
    """Give a fitted row without a verdict the generic one (module doc); a row that has
    one is left as it is."""
    if "verdict" in row:
        row.setdefault("verdict_reason", "")
        row.setdefault("undetermined", "")
        return row
    row["verdict"], row["verdict_reason"], row["undetermined"] = OK, "", ""
    if row.get("success") is False:
        worsen(row, UNDETERMINED, "the fit did not converge")
    no_sigma = []
    for name in headline(row):
        value, err = _number(row, name), _number(row, f"{name}_stderr")
        if not math.isfinite(value) or f"{name}_stderr" not in row:
            continue
        if not math.isfinite(err):
            no_sigma.append(name)
        elif name in _NONZERO or _I50_K.match(name):
            if err >= abs(value):
                worsen(row, POOR, f"{name}: sigma {_with_unit(row, name, err)} is as large "
                                  f"as the value {_with_unit(row, name, value)}", [name])
            elif err > POOR_RELATIVE_SIGMA * abs(value):
                worsen(row, POOR, f"{name}: sigma is {100 * err / abs(value):.0f} % of the "
                                  "value")
    if no_sigma:
        worsen(row, POOR, f"{', '.join(no_sigma)}: the fit could not estimate "
                          f"{'its' if len(no_sigma) == 1 else 'their'} sigma (a parameter "
                          "at a bound, or the data do not fix it)", no_sigma)
    return row


def settle(row: MutableMapping) -> MutableMapping:
    """Make the row consistent (module doc): derived quantities follow the ones they come
    from; "not determined" takes every headline quantity; undetermined values are NaN;
    a row with every headline quantity undetermined is "not determined"."""
    ensure_verdict(row)
    names = undetermined_names(row)
    todo = list(names)
    while todo:
        for derived in DERIVED.get(todo.pop(), ()):
            if derived in row and derived not in names:
                names.append(derived)
                todo.append(derived)
    if row.get("verdict") == UNDETERMINED:
        names += [n for n in headline(row) if n not in names]
    for name in names:
        if name in row:
            row[name] = math.nan
        if f"{name}_stderr" in row:
            row[f"{name}_stderr"] = math.nan
    row["undetermined"] = ",".join(names)
    shown = headline(row)
    if shown and all(n in names for n in shown) and row.get("verdict") != UNDETERMINED:
        worsen(row, UNDETERMINED, "no quantity of this run is determined")
    return row
