"""Batch fitting of saved runs: pick the fit model from the procedure, one flat row per run.

:func:`fit_run` never raises for a bad fit: the row says ``fitted=False`` and why.
:func:`fit_many` runs :func:`fit_run` over many runs in local processes or on a Dask
cluster (``pip install -e ".[cluster]"``) and returns a pandas DataFrame.

A summary row (and so the summary CSV) holds, in this order: ``file``, ``procedure``,
``kind``, ``fitted``, ``error``, ``note``; the fitted quantities, each with its
``_stderr``; then the run's file header, one column per entry, so second stages
(:mod:`labspin.analysis.stages`) can group runs from the summary alone:

* ``param: <label> (<unit>)`` for each run parameter, e.g. ``param: Stage temperature (K)``,
  ``param: Bias field (T)``, ``param: Mode`` (no unit: no parentheses added);
* ``meta: <label>`` for each metadata entry, e.g. ``meta: Sample``.

Harmonic Hall runs are fitted by mode: angle scans with Avci et al., PRB 90, 224427
(2014), field sweeps of a perpendicular magnet with Hayashi et al., PRB 89, 144425 (2014).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import DataError, FitError, summarize
from labspin.analysis.probability_runs import fit_probability_run
from labspin.physics.formulas import xi_from_damping_like_field

__all__ = ["KINDS", "METADATA_PREFIX", "PARAMETER_PREFIX", "fit_many", "fit_run",
           "header_columns"]

#: procedure class name -> kind of fit
KINDS = {
    "HallLoop": "hall_loop",
    "USMRLoop": "usmr_loop",
    "SwitchingLoop": "switching_loop",
    "HarmonicHall": "harmonic_hall",
    "SwitchingProbability": "switching_probability",
}
_LEADING = ("file", "procedure", "kind", "fitted", "error", "note")
#: summary column prefixes of the run file's header entries
PARAMETER_PREFIX, METADATA_PREFIX = "param: ", "meta: "


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
    notes = []
    loops = run.data["Loop"].to_numpy(float) if "Loop" in run.data.columns else None
    if loops is not None and np.nanmax(loops) > 1:
        # the first loop starts from whatever state the bar was left in, so one of its
        # branches may have nothing to switch: fit the last loop, which starts switched
        last = np.nanmax(loops)
        keep = loops == last
        current, signal, branch = _finite(_column(run, "Pulse current (A)")[keep],
                                          _column(run, readouts[0])[keep],
                                          _column(run, "Branch")[keep])
        notes.append(f"fitted loop {last:g} of {last:g} (the first sets the state)")
    else:
        current, signal, branch = _finite(_column(run, "Pulse current (A)"),
                                          _column(run, readouts[0]), _column(run, "Branch"))
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


def _ac_current(run: RunData) -> float | None:
    current = run.parameters.get("AC current amplitude")
    if not isinstance(current, (int, float)) or isinstance(current, bool) or current <= 0:
        return None
    return float(current)


def _efficiency_inputs(run: RunData, width: float | None, thickness: float | None,
                       thickness_f: float | None, ms: float | None) -> tuple[dict, str | None]:
    """current_density (at I_0), ms and t_f for xi_DL, or why not. The run files hold no
    geometry: J = I_0 / (width thickness) assumes all current flows in the FM (labspin's
    FM/AFMI stacks); t_F is ``thickness_f``, else ``thickness``."""
    missing = [name for name, v in (("width", width), ("thickness", thickness), ("ms", ms))
               if v is None]
    current = _ac_current(run)
    if missing or current is None:
        return {}, "xi_DL skipped: needs " + ", ".join(missing or ["the AC current"])
    return {"current_density": current / (float(width) * float(thickness)), "ms": float(ms),
            "t_f": float(thickness_f if thickness_f is not None else thickness)}, None


def _avci(run: RunData, *, r_ahe: float | None, r_phe: float | None, m_eff: float | None,
          efficiency: dict, notes: list[str]) -> dict:
    """In-plane magnet: azimuthal scans at several fields (Avci et al., PRB 90, 224427)."""
    from labspin.analysis.models.harmonic import fit_angle_scans, fit_avci_field_dependence

    field_col = "Field setpoint (T)" if "Field setpoint (T)" in run.data.columns \
        else "Field (T)"
    b, deg, v2w = _finite(_column(run, field_col), _column(run, "Field angle (deg)"),
                          _column(run, "V_xy 2w (V)"))
    table = fit_angle_scans(b, np.deg2rad(deg), v2w)
    out: dict[str, Any] = {"n_fields": len(table)}
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
            m_eff=m_eff, **efficiency)))
    return out


# -- Hayashi field sweeps of a perpendicular magnet -----------------------------------------

_AXES = {0: "x", 1: "y"}


def _sweeps(run: RunData) -> dict[str, tuple[np.ndarray, ...]]:
    """(field, V_1w, V_2w, R_xy^1w) per swept axis ("x", "y") with at least 4 points; a
    run stopped early may have a partial y sweep, which is left out."""
    b, code, v1, v2, r1 = _finite(_column(run, "Field (T)"), _column(run, "Field axis"),
                                  _column(run, "V_xy 1w (V)"), _column(run, "V_xy 2w (V)"),
                                  _column(run, "R_xy 1w (ohm)"))
    out = {}
    for value, axis in _AXES.items():
        sel = code == value
        if np.count_nonzero(sel) >= 4 and np.ptp(b[sel]) > 0:
            out[axis] = (b[sel], v1[sel], v2[sel], r1[sel])
    if not out:
        raise DataError("no field sweep along x or y with at least 4 points")
    return out


def _hall_parabola(field: np.ndarray, r1w: np.ndarray) -> tuple[float, float, float]:
    """R_xy^1w = c + a B^2 (+ b B): (c, a, stderr of a). For a perpendicular magnet
    tilted by an in-plane field, m_z = s (1 - B^2 / 2 B_K^2), so a = -s R_AHE / (2 B_K^2):
    the curvature's sign gives m_z without the Hall offset that shifts c."""
    coef, cov = np.polyfit(field, r1w, 2, cov=True)
    return float(coef[2]), float(coef[0]), float(np.sqrt(cov[0, 0]))


def _mz_state(run: RunData, curvature: float, curvature_err: float,
              r_ahe: float | None, notes: list[str]) -> int:
    """sign(m_z) during the sweeps: from the initialising field along z, else from the
    sign of the 1w curvature (with R_AHE > 0 unless a signed r_ahe says otherwise)."""
    polarity = -1.0 if r_ahe is not None and r_ahe < 0 else 1.0
    significant = abs(curvature) > 3 * curvature_err
    from_curvature = int(-np.sign(curvature) * polarity) if significant else 0
    initial = run.parameters.get("Initialising field along z")
    if isinstance(initial, (int, float)) and not isinstance(initial, bool) and initial != 0:
        state = 1 if initial > 0 else -1
        if from_curvature and from_curvature != state:
            notes.append(f"the 1w curvature says m_z = {from_curvature:+d} but the "
                         f"initialising field set {state:+d}: was it below the switching "
                         "field? (m_z from the initialising field used)")
        return state
    if not from_curvature:
        raise DataError("the sign of m_z is unknown: no initialising field along z and no "
                        "significant curvature of R_xy 1w; measure with an initialising "
                        "field")
    notes.append(f"m_z = {from_curvature:+d} from the 1w curvature (no initialising field; "
                 "assumes R_AHE > 0)")
    return from_curvature


def _anomalous_hall(r_zero: float, state: int, r_ahe: float | None,
                    notes: list[str]) -> float | None:
    """R_AHE as given, else |R_xy^1w(B=0)|, which is s R_AHE plus any Hall offset
    (misaligned Hall arms): refused when its sign contradicts m_z."""
    if r_ahe is not None:
        return float(r_ahe)
    if np.sign(r_zero) != state:
        notes.append(f"R_AHE not estimated: R_xy 1w at zero field ({r_zero:+.4g} ohm) has "
                     f"the opposite sign of m_z ({state:+d}), so a Hall offset exceeds "
                     "R_AHE; pass r_ahe from a Hall loop")
        return None
    notes.append(f"R_AHE = {abs(r_zero):.4g} ohm from R_xy 1w at zero field (includes any "
                 "Hall offset; pass r_ahe from a Hall loop to be sure)")
    return abs(r_zero)


def _hayashi(run: RunData, *, r_ahe: float | None, r_phe: float | None,
             efficiency: dict, notes: list[str]) -> dict:
    """Perpendicular magnet: field sweeps along x (and y) after an initialising field
    along z (Hayashi et al., PRB 89, 144425 (2014); labspin.analysis.models.harmonic)."""
    from labspin.analysis.models.harmonic import fit_harmonic_hall_perpendicular

    i0 = _ac_current(run)
    if i0 is None:
        raise DataError("the file has no positive 'AC current amplitude' parameter")
    sweeps = _sweeps(run)
    first = sweeps.get("x", sweeps.get("y"))
    r_zero, curvature, curvature_err = _hall_parabola(first[0], first[3])
    state = _mz_state(run, curvature, curvature_err, r_ahe, notes)
    out: dict[str, Any] = {"state": state, "r_xy_1w_zero_field": r_zero}
    if len(sweeps) == 2:
        ahe = None if r_phe is None else _anomalous_hall(r_zero, state, r_ahe, notes)
        xi = 0.0
        if ahe is not None:
            xi = float(r_phe) / ahe
            out["r_ahe"] = ahe
        else:
            notes.append("no planar Hall correction (needs R_PHE"
                         + (": pass r_phe" if r_phe is None else " and R_AHE")
                         + "): B_DL and B_FL are the apparent fields, which R_PHE/R_AHE mixes")
        (bx, v1x, v2x, _), (by, v1y, v2y, _) = sweeps["x"], sweeps["y"]
        out.update(_flat(fit_harmonic_hall_perpendicular(
            bx, v1x, v2x, by, v1y, v2y, current_amplitude=i0, state=state,
            planar_to_anomalous=xi, **efficiency)))
        return out
    axis, sweep = next(iter(sweeps.items()))
    out.update(_hayashi_one_axis(axis, sweep, state, i0, efficiency, notes))
    return out


def _hayashi_one_axis(axis: str, sweep: tuple[np.ndarray, ...], state: int, i0: float,
                      efficiency: dict, notes: list[str]) -> dict:
    """One sweep: its apparent field, uncorrected (the planar Hall mixing needs the
    other sweep; module doc of labspin.analysis.models.harmonic)."""
    from labspin.analysis.models.harmonic import fit_field_sweep

    b, v1, v2, _ = sweep
    apparent, fits = fit_field_sweep(b, v1, v2)
    if axis == "x":
        named = {"apparent_x": apparent, "b_dl": -state * apparent,
                 "b_dl_per_ampere": -state * apparent / i0}
        notes.append("x sweep only: B_DL without the planar Hall correction (it needs the "
                     "y sweep), B_FL not measured")
        if efficiency:
            # xi is linear in B_DL: the formula's value for 1 T carries the error through
            per_tesla = float(xi_from_damping_like_field(1.0, **efficiency))
            named["xi_dl"] = named["b_dl"] * per_tesla
    else:
        named = {"apparent_y": apparent, "b_fl": apparent, "b_fl_per_ampere": apparent / i0}
        notes.append("y sweep only: B_FL without the planar Hall correction, B_DL not "
                     "measured")
    return _flat(summarize(named, fits))


def _harmonic_hall(run: RunData, *, r_ahe: float | None = None, r_phe: float | None = None,
                   m_eff: float | None = None, width: float | None = None,
                   thickness: float | None = None, thickness_f: float | None = None,
                   ms: float | None = None, **_: Any) -> dict:
    mode = str(run.parameters.get("Mode", ""))
    if mode not in ("angle scan", "field sweep"):
        raise _Skip(f"harmonic Hall mode {mode!r}: neither 'angle scan' nor 'field sweep'")
    notes: list[str] = []
    efficiency, why = _efficiency_inputs(run, width, thickness, thickness_f, ms)
    if mode == "angle scan":
        out = _avci(run, r_ahe=r_ahe, r_phe=r_phe, m_eff=m_eff, efficiency=efficiency,
                    notes=notes)
    else:
        out = _hayashi(run, r_ahe=r_ahe, r_phe=r_phe, efficiency=efficiency, notes=notes)
    out["method"] = "Avci" if mode == "angle scan" else "Hayashi"
    if why and ("b_dl" in out):
        notes.append(why)
    out["note"] = "; ".join(notes)
    return out


_FITTERS: dict[str, Callable[..., dict]] = {
    "hall_loop": _hall_loop,
    "usmr_loop": _usmr_loop,
    "switching_loop": _switching_loop,
    "harmonic_hall": _harmonic_hall,
    "switching_probability": fit_probability_run,
}


def header_columns(run: RunData) -> dict[str, Any]:
    """The run's header as summary columns (module doc): ``param: <label> (<unit>)`` per
    parameter, ``meta: <label> (<unit>)`` per metadata entry; no parentheses without a
    unit."""
    out: dict[str, Any] = {}
    for prefix, entries in ((PARAMETER_PREFIX, run.parameters),
                            (METADATA_PREFIX, run.metadata)):
        for label, value in entries.items():
            unit = run.units.get(label, "")
            out[f"{prefix}{label} ({unit})" if unit else f"{prefix}{label}"] = value
    return out


def fit_run(run: RunData, *, width: float | None = None, thickness: float | None = None,
            r_ahe: float | None = None, r_phe: float | None = None,
            m_eff: float | None = None, ms: float | None = None,
            thickness_f: float | None = None) -> dict:
    """Fit one run with the model of its procedure; one flat dict.

    Keys: file, procedure, kind, fitted (bool), error (why not, or None), note (what was
    skipped or assumed), then every fitted quantity with its ``_stderr``, then the run's
    header (:func:`header_columns`). ``width`` and ``thickness`` (m) override the
    switching-loop cross-section taken from the file and give the harmonic-Hall current
    density; ``r_ahe``, ``r_phe`` (ohm) and ``m_eff`` (T) feed the harmonic-Hall analyses
    (Avci angle scans, Hayashi field sweeps); with ``ms`` (A/m) and ``thickness_f`` (FM
    thickness, m; default ``thickness``) they also give xi_DL. Never raises for data that
    cannot be fitted.
    """
    kind = KINDS.get(run.procedure, run.procedure)
    row: dict[str, Any] = {"file": str(run.path), "procedure": run.procedure, "kind": kind,
                           "fitted": False, "error": None}
    header = header_columns(run)
    fitter = _FITTERS.get(kind)
    if fitter is None:
        row["error"] = f"no batch fit for {run.procedure} runs"
        return row | header
    if run.data.empty:
        row["error"] = "the run has no data rows"
        return row | header
    try:
        result = fitter(run, width=width, thickness=thickness, r_ahe=r_ahe, r_phe=r_phe,
                        m_eff=m_eff, ms=ms, thickness_f=thickness_f)
    except _Skip as exc:
        row["error"] = str(exc)
        return row | header
    except (DataError, FitError, ValueError, ArithmeticError, KeyError,
            np.linalg.LinAlgError) as exc:
        row["error"] = f"fit failed: {exc}"
        return row | header
    row["fitted"] = True
    row.update(result)
    if run.notes:  # e.g. a last row cut off by a crash: say what the fit did not see
        row["note"] = "; ".join([*run.notes, *([row["note"]] if row.get("note") else [])])
    return row | header


def _frame(rows: Sequence[dict]) -> pd.DataFrame:
    """Rows in a table: the leading columns, the quantities, then the header columns."""
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return pd.DataFrame(columns=list(_LEADING))
    first = [c for c in _LEADING if c in frame.columns]
    header = [c for c in frame.columns if c.startswith((PARAMETER_PREFIX, METADATA_PREFIX))]
    middle = [c for c in frame.columns if c not in first and c not in header]
    return frame[first + middle + header]


def _fit_one(args: tuple[Sequence[RunData], dict]) -> list[dict]:
    """Fit one chunk of runs, in order: one task of the process pool or Dask cluster, so
    the per-task cost (pickling, a round trip, scheduling) is paid per chunk, not per run."""
    runs, kwargs = args
    return [fit_run(run, **kwargs) for run in runs]


def fit_many(runs: Iterable[RunData], workers: int | None = None,
             scheduler: str | None = None, **fit_kwargs: Any) -> pd.DataFrame:
    """:func:`fit_run` over many runs, one DataFrame row per run in the given order.

    Locally in ``workers`` processes (default ``os.cpu_count()``; 1 fits in this
    process), or on the Dask cluster at ``scheduler`` ("tcp://host:8786") when given.
    ``fit_kwargs`` go to every :func:`fit_run`. A fit takes milliseconds, so the runs
    travel in chunks (about four per worker process or Dask thread, for balance) rather
    than one task each; on Dask the chunks are scattered to the workers rather than
    embedded in the task graph. An exception that :func:`fit_run` does not turn into a
    row (a bug, not a bad fit) propagates, as in a plain loop.
    """
    runs = list(runs)

    def chunked(slots: int) -> list[tuple[list[RunData], dict]]:
        size = max(1, -(-len(runs) // (4 * max(1, slots))))
        return [(runs[i:i + size], fit_kwargs) for i in range(0, len(runs), size)]

    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise RuntimeError("fitting on a Dask cluster needs dask.distributed: "
                               'pip install -e ".[cluster]"') from None
        with Client(scheduler) as client:
            chunks = chunked(sum(client.nthreads().values()))
            if not chunks:
                return _frame([])
            data = client.scatter(chunks, hash=False)
            parts = client.gather(client.map(_fit_one, data, pure=False))
        return _frame([row for part in parts for row in part])
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    workers = min(workers, len(runs))
    if workers <= 1:
        return _frame([fit_run(run, **fit_kwargs) for run in runs])
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(_fit_one, chunked(workers)))
    return _frame([row for part in parts for row in part])
