"""Second stage: the switching phase diagram of a perpendicular magnet, J_c of the
fitted switching loops against their in-plane bias field, fitted with the Lee line (Lee
et al., APL 102, 112410 (2013); :mod:`labspin.analysis.models.phase_diagram`), from the
batch summary alone (module doc of :mod:`labspin.analysis.stages`).

The Lee line is the zero-temperature (macrospin) threshold. Loops switched by pulses
longer than a few ns switch by thermal activation, below it and not by a common factor,
so their line gives neither B_K,eff nor xi_DL: the verdict says so, with what to measure
instead (:func:`labspin.analysis.models.phase_diagram.pulse_regime_check`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from labspin.analysis.models._common import DataError, FitError
from labspin.analysis.stages import (
    _LEE_AXIS,
    _LEE_BIAS,
    StageError,
    _fitted,
    _numbers,
    find_column,
)

#: the loops' pulse width in the summary (procedures/switching.py "Pulse width")
_PULSE_WIDTH = "param: Pulse width (s)"


@dataclass
class PhaseDiagramResult:
    """J_c of each switching loop against its bias field (``table``: file, ``Bias field
    (T)``, ``J_c (A/m^2)``, ``J_c stderr (A/m^2)``), the Lee-line fit (result dict of
    :func:`labspin.analysis.models.phase_diagram.fit_lee_phase_diagram`) and notes."""

    table: pd.DataFrame
    fit: dict
    notes: list[str] = field(default_factory=list)


def _switching_rows(summary: pd.DataFrame) -> pd.DataFrame:
    fitted = _fitted(summary)
    rows = fitted[fitted["kind"] == "switching_loop"] if "kind" in fitted.columns \
        else fitted.iloc[:0]
    if rows.empty:
        kinds = sorted(set(fitted["kind"])) if "kind" in fitted.columns else []
        raise StageError("a phase diagram needs fitted switching loops (SwitchingLoop "
                         f"runs); the fitted runs are: {', '.join(kinds) or 'none'}")
    missing = [c for c in ("j_c_plus", "j_c_minus") if c not in rows.columns
               or not np.isfinite(_numbers(rows, c)).any()]
    if missing:
        raise StageError("the switching loops have no J_c (their files hold no current "
                         "density): fit them with --width and --thickness")
    return rows


def _bias_fields(summary: pd.DataFrame, rows: pd.DataFrame,
                 notes: list[str]) -> tuple[pd.Series, pd.Series]:
    """B_x of each loop, and which loops have it along x (Lee's geometry)."""
    bias = _numbers(rows, find_column(summary, _LEE_BIAS))
    along_x = pd.Series(True, index=rows.index)
    try:
        axis = rows[find_column(summary, _LEE_AXIS)].astype(str).str.strip()
    except StageError:
        notes.append(f"no {_LEE_AXIS!r} in the header: bias fields taken as along x")
    else:
        along_x = (axis == "x") | (bias == 0)
        if (~along_x).any():
            notes.append(f"{int((~along_x).sum())} loop(s) with the bias along y or z left "
                         "out (the Lee threshold needs it along the current, x)")
    return bias, along_x


def _header_value(rows: pd.DataFrame, column: str) -> float | None:
    """The one positive value of a header column shared by all ``rows``, else None."""
    if column not in rows.columns:
        return None
    values = set(_numbers(rows, column))
    if len(values) != 1:
        return None
    value = values.pop()
    return value if math.isfinite(value) and value > 0 else None


def phase_diagram_stage(summary: pd.DataFrame, *, ms: float | None = None,
                        t_f: float | None = None) -> PhaseDiagramResult:
    """Fit |J_c| (mean of the two polarities of each loop) against |B_x| of the fitted
    switching loops with the Lee line; B_K,eff always, |xi_DL| with ``ms`` (A/m) and
    ``t_f`` (m), by default the M_s of the sample's calibration and the FM thickness in
    the runs' headers when all loops share them.

    Unweighted: the fit error of one loop's J_c understates the run-to-run scatter of
    thermally activated switching, so the line's errors come from the scatter about it.
    """
    from labspin.analysis.models.phase_diagram import (
        fit_lee_phase_diagram,
        pulse_regime_check,
    )

    if (ms is None) != (t_f is None):
        raise StageError("|xi_DL| needs both M_s and t_F (--ms and --thickness-f); give "
                         "both or neither")
    notes: list[str] = []
    rows = _switching_rows(summary)
    if ms is None and t_f is None:
        ms, t_f = _header_value(rows, "meta: Calibration M_s (A/m)"), \
            _header_value(rows, "meta: FM thickness (m)")
        if ms is None or t_f is None:
            ms = t_f = None
        else:
            notes.append("M_s and t_F from the runs' headers (the sample's calibration)")
    bias, along_x = _bias_fields(summary, rows, notes)
    j_plus, j_minus = _numbers(rows, "j_c_plus"), _numbers(rows, "j_c_minus")
    j_c = 0.5 * (j_plus.abs() + j_minus.abs())
    err = 0.5 * np.hypot(_numbers(rows, "j_c_plus_stderr"), _numbers(rows, "j_c_minus_stderr"))
    keep = along_x & np.isfinite(bias) & np.isfinite(j_c)
    table = pd.DataFrame({"file": rows["file"], "Bias field (T)": bias, "J_c (A/m^2)": j_c,
                          "J_c stderr (A/m^2)": err})[keep].sort_values("Bias field (T)")
    distinct = sorted(set(np.abs(table["Bias field (T)"])))
    if len(distinct) < 3:
        other = int((~along_x).sum())
        raise StageError(
            f"a phase diagram needs J_c at 3 or more distinct |{_LEE_BIAS}| along x: the "
            "Lee threshold is that of a perpendicular magnet in an in-plane field along "
            "the current (x), which tilts m so that the damping-like torque reverses it "
            "deterministically; the fitted switching loops have "
            f"{[float(b) for b in distinct] or 'none'} T along x"
            + (f" ({other} loop(s) with the bias along y or z left out: measure with "
               "bias_axis x)" if other else ""))
    try:
        fit = fit_lee_phase_diagram(table["Bias field (T)"], table["J_c (A/m^2)"],
                                    ms=ms, t_f=t_f)
    except (DataError, FitError) as exc:
        raise StageError(f"the Lee phase-diagram fit: {exc}") from None
    widths = _numbers(rows, _PULSE_WIDTH)[keep] if _PULSE_WIDTH in rows.columns else None
    pulse_regime_check(fit, None if widths is None else widths.to_numpy(float))
    return PhaseDiagramResult(table=table.reset_index(drop=True),
                              fit={k: v for k, v in fit.items() if k != "report"},
                              notes=notes)

