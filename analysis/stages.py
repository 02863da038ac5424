"""Second stages of batch fitting: a fitted quantity across runs, and the switching phase
diagram of a perpendicular magnet, from the batch summary alone.

The summary of :func:`labspin.analysis.batch.fit_many` carries each run's file header as
columns ``param: <label> (<unit>)`` and ``meta: <label>`` (module doc of
:mod:`labspin.analysis.batch`), so a summary CSV read back with pandas works as well as
the DataFrame. A header entry is named as written in the run file, with or without its
unit: ``"Stage temperature"``, ``"Stage temperature (K)"`` or the column name itself.

* :func:`series_stage` groups the fitted runs by a header value, combines repeated runs
  at one value and fits a trend: ``neel``, the AFMI's Neel temperature as the centre of
  the critical peak of the torque on a smooth background
  (:mod:`labspin.analysis.models.neel`; Qiu et al., Nat. Commun. 7, 12670 (2016)), or
  ``thickness``, the saturation with AFMI thickness (:mod:`labspin.analysis.models.series`).
* :func:`phase_diagram_stage` fits J_c of switching loops against the in-plane bias field
  with the Lee line (Lee et al., APL 102, 112410 (2013);
  :mod:`labspin.analysis.models.phase_diagram`).

Every run file records its sample's geometry, including the AFMI thickness ("AFMI
thickness", from the station file's sample; ``--series "AFMI thickness" --trend
thickness``), and its calibration; any numeric header entry works as the series
parameter. Runs whose entry is "off" or "not given" are left out with a note.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from labspin.analysis.batch import METADATA_PREFIX, PARAMETER_PREFIX
from labspin.analysis.models._common import DataError, FitError

__all__ = [
    "TRENDS",
    "PhaseDiagramResult",
    "SeriesResult",
    "StageError",
    "find_column",
    "phase_diagram_stage",
    "quantity_unit",
    "series_stage",
]

#: CLI name -> trend of :func:`labspin.analysis.models.series.fit_series` (None: no fit)
TRENDS: dict[str, str | None] = {"none": None, "neel": "neel_critical_peak",
                                 "thickness": "thickness_saturation"}
#: units of each trend parameter: the series parameter's, the quantity's, or none
_TREND_UNITS = {"neel_critical_peak": {"t_neel": "parameter", "width": "parameter",
                                       "amplitude": "quantity", "background": "quantity"},
                "neel_peak": {"amplitude": "quantity", "t_peak": "parameter",
                              "exponent": "", "floor": "quantity"},
                "thickness_saturation": {"q_inf": "quantity", "length": "parameter",
                                         "t_0": "parameter"}}
#: header values that mean "not set": files of earlier versions wrote 0 K for a stage left
#: as it was (now "off", procedures/base.py)
_UNSET = {"Stage temperature": 0.0}
_NOT_QUANTITIES = {"file", "procedure", "kind", "fitted", "error", "note", "success"}
_UNIT = re.compile(r"^(?P<label>.*?)(?: \((?P<unit>[^()]*)\))?$")
_LEE_BIAS, _LEE_AXIS = "Bias field", "Bias field axis"  # procedures/switching.py


class StageError(ValueError):
    """A second stage cannot be built from the summary; the message names the label or
    quantity and lists what is available."""


# -- header columns ---------------------------------------------------------------------


def _split(column: str) -> tuple[str, str, str]:
    """"param: Stage temperature (K)" -> ("param: ", "Stage temperature", "K")."""
    prefix = PARAMETER_PREFIX if column.startswith(PARAMETER_PREFIX) else METADATA_PREFIX
    match = _UNIT.match(column[len(prefix):])
    return prefix, match["label"], match["unit"] or ""


def _header_columns(summary: pd.DataFrame) -> list[str]:
    return [c for c in summary.columns if c.startswith((PARAMETER_PREFIX, METADATA_PREFIX))]


def _available_labels(summary: pd.DataFrame) -> str:
    params = [c[len(PARAMETER_PREFIX):] for c in _header_columns(summary)
              if c.startswith(PARAMETER_PREFIX)]
    meta = [c[len(METADATA_PREFIX):] for c in _header_columns(summary)
            if c.startswith(METADATA_PREFIX)]
    if not params and not meta:
        return ("the summary has no header columns ('param: ...'): fit the runs again with "
                "this version of labspin")
    return (f"run parameters: {', '.join(sorted(params)) or 'none'}; "
            f"metadata: {', '.join(sorted(meta)) or 'none'}")


def find_column(summary: pd.DataFrame, label: str) -> str:
    """The summary column of a header entry named as in the run file (case and spacing
    ignored; the unit may be left out); run parameters win over metadata."""
    wanted = " ".join(label.split()).lower()
    for prefix in (PARAMETER_PREFIX, METADATA_PREFIX):
        for column in _header_columns(summary):
            if not column.startswith(prefix):
                continue
            _, name, unit = _split(column)
            names = {column, column[len(prefix):], name} | ({f"{name} ({unit})"} if unit
                                                            else set())
            if wanted in {" ".join(n.split()).lower() for n in names}:
                return column
    raise StageError(f"no run parameter or metadata {label!r} in the fitted runs; "
                     f"{_available_labels(summary)}")


def quantity_unit(quantity: str) -> str:
    """The unit of a fitted quantity as :mod:`labspin.analysis.formatting` shows it, or
    "" when it is not one of the main quantities."""
    from labspin.analysis.formatting import QUANTITIES

    units = {key: unit for entries in QUANTITIES.values() for key, _, unit in entries}
    # i_c is the mean of i_c_plus and i_c_minus
    return units.get(quantity, units.get(f"{quantity}_plus", ""))


def _numbers(summary: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(summary[column], errors="coerce").astype(float)


def _fitted(summary: pd.DataFrame) -> pd.DataFrame:
    if "fitted" not in summary.columns:
        raise StageError("not a batch summary: it has no 'fitted' column")
    ok = summary["fitted"].astype(str).str.lower().isin(("true", "1", "1.0"))
    return summary[ok]


def _quantities(rows: pd.DataFrame) -> list[str]:
    """Fitted quantities with at least one finite value among ``rows``."""
    out = []
    for column in rows.columns:
        if (column in _NOT_QUANTITIES or column.endswith("_stderr")
                or column.startswith((PARAMETER_PREFIX, METADATA_PREFIX))
                or pd.api.types.is_bool_dtype(rows[column])):
            continue
        if np.isfinite(pd.to_numeric(rows[column], errors="coerce").astype(float)).any():
            out.append(column)
    return out


# -- series -----------------------------------------------------------------------------


@dataclass
class SeriesResult:
    """One fitted quantity against one header value: ``table`` (columns ``label``, the
    quantity, its ``_stderr`` and ``runs``, the number of runs combined per value), the
    trend fit (a result dict of :func:`labspin.analysis.models.series.fit_series`, or
    None), and notes on the runs left out or combined."""

    column: str
    label: str
    unit: str
    quantity: str
    table: pd.DataFrame
    trend: str | None = None
    fit: dict | None = None
    notes: list[str] = field(default_factory=list)

    def trend_quantities(self) -> list[tuple[str, float, float, str]]:
        """(name, value, stderr, unit) of each fitted trend parameter, for printing;
        fixed ones (the dead layer t_0, stderr exactly 0) are left out."""
        if self.fit is None or self.trend is None:
            return []
        units = {"parameter": self.unit, "quantity": quantity_unit(self.quantity)}
        out = []
        for name, kind in _TREND_UNITS[self.trend].items():
            err = float(self.fit.get(f"{name}_stderr", math.nan))
            if name in self.fit and err != 0 and math.isfinite(float(self.fit[name])):
                out.append((name, float(self.fit[name]), err, units.get(kind, kind)))
        return out


def _combine(values: np.ndarray, errors: np.ndarray) -> tuple[float, float]:
    """Inverse-variance weighted mean of repeated runs, its error scaled up by the Birge
    ratio sqrt(chi^2 / (n - 1)) when they scatter more than their errors (PDG, Review of
    Particle Physics, Introduction, "unconstrained averaging"). Without usable errors: the
    plain mean and its standard error."""
    if values.size == 1:
        return float(values[0]), float(errors[0])
    if np.all(np.isfinite(errors) & (errors > 0)):
        w = 1.0 / errors**2
        mean = float(np.sum(w * values) / np.sum(w))
        chi2 = float(np.sum(w * (values - mean) ** 2))
        return mean, float(np.sqrt(1.0 / np.sum(w)) * max(1.0, math.sqrt(chi2 / (values.size
                                                                                - 1))))
    return float(np.mean(values)), float(np.std(values, ddof=1) / math.sqrt(values.size))


def _series_rows(summary: pd.DataFrame, column: str, quantity: str,
                 notes: list[str]) -> pd.DataFrame:
    """The fitted runs with a finite quantity and a numeric header value."""
    fitted = _fitted(summary)
    available = _quantities(fitted)
    if quantity not in available:
        raise StageError(f"no fitted run has the quantity {quantity!r}; the fitted runs "
                         f"have: {', '.join(sorted(available)) or 'nothing'}")
    x = _numbers(fitted, column)
    y = pd.to_numeric(fitted[quantity], errors="coerce").astype(float)
    words = fitted[column].astype(str).str.strip().str.lower()
    off = words.isin(("off", "not given")) & np.isfinite(y)
    if off.any():
        said = "/".join(sorted(set(words[off])))
        notes.append(f"{int(off.sum())} run(s) left out: {_split(column)[1]} {said}")
    keep = np.isfinite(x) & np.isfinite(y)
    if not keep.any() and off.any():
        raise StageError(f"a series needs {quantity!r} at 3 or more distinct values of "
                         f"{column[len(_split(column)[0]):]!r}; the fitted runs have none: "
                         + "; ".join(notes))
    if not keep.any():
        values = sorted(set(map(str, fitted.loc[np.isfinite(y), column].dropna())))
        raise StageError(f"{column[len(_split(column)[0]):]!r} is not a number in the runs "
                         f"with {quantity!r} (values: {', '.join(values) or 'none'})")
    if (~keep & ~off).any():
        notes.append(f"{int((~keep & ~off).sum())} fitted run(s) without {quantity!r} or a "
                     "numeric value left out")
    label = _split(column)[1]
    if label in _UNSET:
        unset = keep & (x == _UNSET[label])
        if unset.any():
            notes.append(f"{int(unset.sum())} run(s) left out: {label} "
                         f"{_UNSET[label]:g} means 'not set'")
            keep &= ~unset
    err_col = f"{quantity}_stderr"
    err = pd.to_numeric(fitted[err_col], errors="coerce").astype(float) \
        if err_col in fitted.columns else pd.Series(np.nan, index=fitted.index)
    return pd.DataFrame({"x": x[keep], "y": y[keep], "err": err[keep]})


def series_stage(summary: pd.DataFrame, parameter: str, quantity: str,
                 trend: str = "none") -> SeriesResult:
    """``quantity`` of the fitted runs against the header entry ``parameter``.

    Runs at the same value are combined (:func:`_combine`); at least 3 distinct values
    are needed. ``trend`` is a key of :data:`TRENDS`: "neel" fits the critical peak at
    the Neel temperature (parameter in K; :mod:`labspin.analysis.models.neel`),
    "thickness" the thickness saturation (parameter in m).
    """
    from labspin.analysis.models.neel import fit_neel_temperature
    from labspin.analysis.models.series import fit_series, series_table

    if trend not in TRENDS:
        raise StageError(f"unknown trend {trend!r}; choose one of {', '.join(TRENDS)}")
    column = find_column(summary, parameter)
    prefix, _, unit = _split(column)
    label = column[len(prefix):]
    notes: list[str] = []
    rows = _series_rows(summary, column, quantity, notes)
    groups = []
    for value, group in rows.groupby("x", sort=True):
        mean, err = _combine(group["y"].to_numpy(), group["err"].to_numpy())
        groups.append((float(value), {quantity: mean, f"{quantity}_stderr": err},
                       len(group)))
    if len(groups) < 3:
        raise StageError(f"a series needs {quantity!r} at 3 or more distinct values of "
                         f"{label!r}; the fitted runs have "
                         f"{[g[0] for g in groups] or 'none'}"
                         + "".join(f"; {note}" for note in notes))
    table = series_table([(v, r) for v, r, _ in groups], quantity, parameter=label)
    table["runs"] = [n for _, _, n in groups]
    if any(n > 1 for _, _, n in groups):
        notes.append("repeated runs at one value combined (weighted mean)")
    result = SeriesResult(column=column, label=label, unit=unit, quantity=quantity,
                          table=table, trend=TRENDS[trend], notes=notes)
    if result.trend is not None:
        try:
            fit = fit_neel_temperature if result.trend == "neel_critical_peak" else \
                lambda t, **kw: fit_series(t, result.trend, **kw)
            result.fit = {k: v for k, v in fit(table, parameter=label,
                                                quantity=quantity).items() if k != "report"}
        except (DataError, FitError) as exc:
            raise StageError(f"the {trend} trend of {quantity!r} against {label!r}: "
                             f"{exc}") from None
        if result.fit.get("verdict", "ok") != "ok":
            result.notes.append(f"{trend} trend {result.fit['verdict']}: "
                                f"{result.fit['verdict_reason']}")
        if result.trend == "neel_critical_peak":
            note = _read_current_heating_note(summary, label)
            if note:
                result.notes.append(note)
    return result


def _read_current_heating_note(summary: pd.DataFrame, label: str) -> str:
    """A temperature series read with an AC current: the bar is warmer than the stage by
    the current's Joule heating, which no run file gives; it shifts T_N by about that rise
    (acceptance check: 8 mA on a 250 K film gave T_N 245-247 +- 1 K, 4 mA 249-250 K)."""
    if "stage" not in label.lower():
        return ""
    amplitudes = []
    for column in _header_columns(summary):
        if _split(column)[1].lower() == "ac current amplitude":
            values = pd.to_numeric(summary[column], errors="coerce").abs()
            amplitudes += [float(v) for v in values if np.isfinite(v) and v > 0]
    if not amplitudes:
        return ""
    from labspin.analysis.formatting import si

    return (f"the temperatures are the stage's: the read current (peak up to "
            f"{si(max(amplitudes), 'A')}) heats the bar above them by an amount the files "
            "do not give, and T_N comes out low by about that rise; repeat the series at "
            "half the current: if T_N moves, the heating matters (it goes as I^2)")


# the phase diagram lives in its own module; imported here for the callers of this one
from labspin.analysis.phase_stage import PhaseDiagramResult, phase_diagram_stage  # noqa: E402
