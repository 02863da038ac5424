"""Batch fitting of saved runs: pick the fit model from the procedure, one flat row per run.

:func:`fit_run` never raises for a bad fit: the row says ``fitted=False`` and why.
:func:`fit_many` runs :func:`fit_run` over many runs in local processes or on a Dask
cluster (``pip install -e ".[cluster]"``) and returns a pandas DataFrame.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import DataError, FitError

__all__ = ["KINDS", "fit_many", "fit_run"]

#: procedure class name -> kind of fit
KINDS = {
    "HallLoop": "hall_loop",
    "USMRLoop": "usmr_loop",
    "SwitchingLoop": "switching_loop",
    "HarmonicHall": "harmonic_hall",
}
_LEADING = ("file", "procedure", "kind", "fitted", "error", "note")


class _Skip(Exception):
    """The run is of a known kind but cannot be fitted as saved (not a fit failure)."""


def _column(run: RunData, name: str) -> np.ndarray:
    if name not in run.data.columns:
        raise DataError(f"the file has no column {name!r}")
    return run.data[name].to_numpy(dtype=float)


def _finite(*arrays: np.ndarray) -> list[np.ndarray]:
    keep = np.all([np.isfinite(a) for a in arrays], axis=0)
    if np.count_nonzero(keep) == 0:
        raise DataError("no finite data points")
    return [a[keep] for a in arrays]


def _flat(result: dict) -> dict:
    """Fit dict without the (long, multi-line) lmfit report."""
    return {k: v for k, v in result.items() if k != "report"}


def _field_loop(run: RunData, signal: str) -> dict:
    from labspin.analysis.models.loops import fit_hysteresis_loop

    x, y, branch = _finite(_column(run, "Field (T)"), _column(run, signal),
                           _column(run, "Branch"))
    return _flat(fit_hysteresis_loop(x, y, branch))


def _hall_loop(run: RunData, **_: Any) -> dict:
    out = _field_loop(run, "R_xy (ohm)")
    # R_xy = R_AHE m_z + R_OHE B: the half step is R_AHE, the background slope R_OHE
    out["r_ahe"], out["r_ahe_stderr"] = abs(out["half_step"]), out["half_step_stderr"]
    out["r_ohe"], out["r_ohe_stderr"] = out["slope"], out["slope_stderr"]
    return out


def _usmr_loop(run: RunData, **_: Any) -> dict:
    return _field_loop(run, "R_xx 2w (ohm)")


def _switching_loop(run: RunData, *, width: float | None = None,
                    thickness: float | None = None, **_: Any) -> dict:
    from labspin.analysis.models.switching import fit_switching_loop

    readouts = [c for c in ("R_xy (ohm)", "R_xx 2w (ohm)")
                if c in run.data.columns and run.data[c].notna().any()]
    if not readouts:
        raise DataError("no readout column (R_xy or R_xx 2w) holds any data")
    current, signal, branch = _finite(_column(run, "Pulse current (A)"),
                                      _column(run, readouts[0]), _column(run, "Branch"))
    notes = []
    if width is not None and thickness is not None:
        w, t = float(width), float(thickness)
    elif "Pulse current density (A/m^2)" in run.data.columns:
        # the file records J = I / (w t) with the station's geometry: take the
        # cross-section from it (j_c = i_c / area; width = area, thickness = 1 m)
        i = run.data["Pulse current (A)"].to_numpy(float)
        j = run.data["Pulse current density (A/m^2)"].to_numpy(float)
        ok = np.isfinite(i) & np.isfinite(j) & (i != 0) & (j != 0)
        if not np.any(ok):
            raise _Skip("no non-zero pulse current to take the cross-section from")
        w, t = float(np.median(i[ok] / j[ok])), 1.0
        notes.append("cross-section from the file's current-density column")
    else:
        w = t = None
        notes.append("no geometry: current densities skipped (pass width and thickness)")
    resistance = run.metadata.get("Two-terminal resistance for pulse energies (ohm)")
    pulse_width = run.parameters.get("Pulse width")
    energy = {}
    if isinstance(resistance, (int, float)) and isinstance(pulse_width, (int, float)):
        energy = {"resistance": float(resistance), "pulse_width": float(pulse_width)}
    else:
        notes.append("no two-terminal resistance or pulse width: energies skipped")
    out = _flat(fit_switching_loop(current, signal, branch, width=w if w else 1.0,
                                   thickness=t if t else 1.0, **energy))
    if w is None:
        for key in ("j_c_plus", "j_c_minus"):
            out.pop(key, None)
            out.pop(f"{key}_stderr", None)
    out["readout"] = readouts[0]
    out["i_c"] = 0.5 * (abs(out["i_c_plus"]) + abs(out["i_c_minus"]))
    out["i_c_stderr"] = 0.5 * float(np.hypot(out["i_c_plus_stderr"], out["i_c_minus_stderr"]))
    if notes:
        out["note"] = "; ".join(notes)
    return out


def _planar_hall(phi: np.ndarray, r1w: np.ndarray) -> tuple[float, float]:
    """R_PHE from the first-harmonic angle scans, R_xy^1w = R_PHE sin 2phi + const
    (in-plane magnetization following the field); linear least squares."""
    design = np.column_stack([np.sin(2 * phi), np.ones_like(phi)])
    coef, _, rank, _ = np.linalg.lstsq(design, r1w, rcond=None)
    dof = r1w.size - 2
    if rank < 2 or dof <= 0:
        return float(coef[0]), float("nan")
    resid = r1w - design @ coef
    cov = np.linalg.inv(design.T @ design) * float(resid @ resid) / dof
    return float(coef[0]), float(np.sqrt(cov[0, 0]))


def _harmonic_hall(run: RunData, *, r_ahe: float | None = None, r_phe: float | None = None,
                   m_eff: float | None = None, **_: Any) -> dict:
    from labspin.analysis.models.harmonic import fit_angle_scans, fit_avci_field_dependence

    mode = str(run.parameters.get("Mode", ""))
    if mode != "angle scan":
        raise _Skip(f"harmonic Hall mode {mode!r}: only angle scans (Avci) are batch-fitted")
    field_col = "Field setpoint (T)" if "Field setpoint (T)" in run.data.columns \
        else "Field (T)"
    b, deg, v2w = _finite(_column(run, field_col), _column(run, "Field angle (deg)"),
                          _column(run, "V_xy 2w (V)"))
    phi = np.deg2rad(deg)
    table = fit_angle_scans(b, phi, v2w)
    out: dict[str, Any] = {"n_fields": len(table)}
    notes = []
    if r_phe is None and "R_xy 1w (ohm)" in run.data.columns:
        _, deg1, r1w = _finite(_column(run, field_col), _column(run, "Field angle (deg)"),
                                _column(run, "R_xy 1w (ohm)"))
        r_phe, err = _planar_hall(np.deg2rad(deg1), r1w)
        out["r_phe"], out["r_phe_stderr"] = r_phe, err
        notes.append("R_PHE from the 1w angle scans")
    current = run.parameters.get("AC current amplitude")
    missing = []
    if not isinstance(current, (int, float)):
        missing.append("the AC current amplitude")
    if r_ahe is None:
        missing.append("R_AHE (not in the file: pass r_ahe from a Hall loop of this device)")
    if r_phe is None:
        missing.append("R_PHE")
    if m_eff is None and len(table) < 4:
        missing.append(f"M_eff (only {len(table)} field magnitudes; pass m_eff or "
                       "measure at least 4 fields)")
    elif len(table) < 3:
        missing.append(f"at least 3 field magnitudes (the run has {len(table)})")
    if missing:
        notes.append("B_DL/B_FL skipped: needs " + ", ".join(missing))
        # the per-field Avci amplitudes are still useful: keep the lowest and highest
        for label, row in (("low", table.iloc[0]), ("high", table.iloc[-1])):
            out[f"field_{label}"] = float(row["field"])
            for key in ("dl_amplitude", "fl_amplitude"):
                out[f"{key}_{label}"] = float(row[key])
                out[f"{key}_{label}_stderr"] = float(row[f"{key}_stderr"])
    else:
        out.update(_flat(fit_avci_field_dependence(
            table, current_amplitude=float(current), r_ahe=float(r_ahe), r_phe=float(r_phe),
            m_eff=m_eff)))
    out["note"] = "; ".join(notes)
    return out


_FITTERS: dict[str, Callable[..., dict]] = {
    "hall_loop": _hall_loop,
    "usmr_loop": _usmr_loop,
    "switching_loop": _switching_loop,
    "harmonic_hall": _harmonic_hall,
}


def fit_run(run: RunData, *, width: float | None = None, thickness: float | None = None,
            r_ahe: float | None = None, r_phe: float | None = None,
            m_eff: float | None = None) -> dict:
    """Fit one run with the model of its procedure; one flat dict.

    Keys: file, procedure, kind, fitted (bool), error (why not, or None), note (what was
    skipped or assumed), then every fitted quantity with its ``_stderr``. ``width`` and
    ``thickness`` (m) override the switching-loop cross-section taken from the file;
    ``r_ahe``, ``r_phe`` (ohm) and ``m_eff`` (T) feed the harmonic-Hall (Avci) analysis.
    Never raises for data that cannot be fitted.
    """
    kind = KINDS.get(run.procedure, run.procedure)
    row: dict[str, Any] = {"file": str(run.path), "procedure": run.procedure, "kind": kind,
                           "fitted": False, "error": None}
    fitter = _FITTERS.get(kind)
    if fitter is None:
        row["error"] = f"no batch fit for {run.procedure} runs"
        return row
    if run.data.empty:
        row["error"] = "the run has no data rows"
        return row
    try:
        result = fitter(run, width=width, thickness=thickness, r_ahe=r_ahe, r_phe=r_phe,
                        m_eff=m_eff)
    except _Skip as exc:
        row["error"] = str(exc)
        return row
    except (DataError, FitError, ValueError, ArithmeticError, KeyError,
            np.linalg.LinAlgError) as exc:
        row["error"] = f"fit failed: {exc}"
        return row
    row["fitted"] = True
    row.update(result)
    return row


def _frame(rows: Sequence[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return pd.DataFrame(columns=list(_LEADING))
    first = [c for c in _LEADING if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def _fit_one(args: tuple[RunData, dict]) -> dict:
    run, kwargs = args
    return fit_run(run, **kwargs)


def fit_many(runs: Iterable[RunData], workers: int | None = None,
             scheduler: str | None = None, **fit_kwargs: Any) -> pd.DataFrame:
    """:func:`fit_run` over many runs, one DataFrame row per run in the given order.

    Locally in ``workers`` processes (default ``os.cpu_count()``; 1 fits in this
    process), or on the Dask cluster at ``scheduler`` ("tcp://host:8786") when given.
    ``fit_kwargs`` go to every :func:`fit_run`.
    """
    runs = list(runs)
    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise RuntimeError("fitting on a Dask cluster needs dask.distributed: "
                               'pip install -e ".[cluster]"') from None
        with Client(scheduler) as client:
            futures = client.map(fit_run, runs, pure=False, **fit_kwargs)
            rows = client.gather(futures)
        return _frame(rows)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    workers = min(workers, len(runs))
    if workers <= 1:
        return _frame([fit_run(run, **fit_kwargs) for run in runs])
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(_fit_one, [(run, fit_kwargs) for run in runs]))
    return _frame(rows)
