"""Batch fitting of saved runs: pick the fit model from the procedure, one flat row per run.

:func:`fit_run` never raises for a bad fit: the row says ``fitted=False`` and why.
:func:`fit_many` runs :func:`fit_run` over many runs in local processes or on a Dask
cluster (``pip install -e ".[cluster]"``) and returns a pandas DataFrame.

A summary row (and so the summary CSV) holds, in this order: ``file``, ``procedure``,
``kind``, ``fitted``, ``verdict``, ``verdict_reason``, ``undetermined``, ``error``,
``note``; the fitted quantities, each with its ``_stderr`` (NaN, an empty cell in the
CSV, for every quantity named in ``undetermined``); then the run's file header, one
column per entry, so second stages (:mod:`labspin.analysis.stages`) can group runs from
the summary alone:

* ``param: <label> (<unit>)`` for each run parameter, e.g. ``param: Stage temperature (K)``,
  ``param: Bias field (T)``, ``param: Mode`` (no unit: no parentheses added);
* ``meta: <label>`` for each metadata entry, e.g. ``meta: Sample``.

The verdict (``ok``, ``poor``, ``not determined``; :mod:`labspin.analysis.verdicts`) is
the fit's own, made worse by the run-level checks of :mod:`labspin.analysis.run_checks`
(a file cut short, infinite values, too few rows). A run that cannot be fitted at all
is a row with ``fitted=False``, the reason in ``error`` and the verdict "not determined".

Harmonic Hall runs are fitted by mode: angle scans with Avci et al., PRB 90, 224427
(2014), field sweeps of a perpendicular magnet with Hayashi et al., PRB 89, 144425 (2014).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from labspin.analysis.calibration import calibrated_inputs
from labspin.analysis.harmonic_runs import fit_harmonic_run
from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import DataError, FitError, with_verdict
from labspin.analysis.probability_runs import fit_probability_run
from labspin.analysis.pulse_energy import add_energies
from labspin.analysis.run_checks import check_run
from labspin.analysis.run_columns import SkipRun, column, finite, flat, missing_rows_note
from labspin.analysis.sequence_runs import fit_sequence_run
from labspin.analysis.stfmr_runs import fit_stfmr_run
from labspin.analysis.verdicts import UNDETERMINED, settle, worsen

__all__ = ["KINDS", "METADATA_PREFIX", "PARAMETER_PREFIX", "fit_many", "fit_run",
           "header_columns"]

log = logging.getLogger(__name__)

#: procedure class name -> kind of fit
KINDS = {
    "HallLoop": "hall_loop",
    "USMRLoop": "usmr_loop",
    "SwitchingLoop": "switching_loop",
    "HarmonicHall": "harmonic_hall",
    "SwitchingProbability": "switching_probability",
    "PulseSequence": "pulse_sequence",
    "STFMR": "stfmr",
}
_LEADING = ("file", "procedure", "kind", "fitted", "verdict", "verdict_reason",
            "undetermined", "error", "note")
#: summary column prefixes of the run file's header entries
PARAMETER_PREFIX, METADATA_PREFIX = "param: ", "meta: "


def _field_loop(run: RunData, signal: str) -> dict:
    from labspin.analysis.models.loops import fit_hysteresis_loop

    x, y, branch = finite(column(run, "Field (T)"), column(run, signal),
                           column(run, "Branch"))
    out = flat(fit_hysteresis_loop(x, y, branch))
    missing = missing_rows_note(run, ("Field (T)", signal, "Branch"))
    if missing:
        out["note"] = missing
    return out


def _derived(out: dict, name: str, value: float, stderr: float, sources: tuple[str, ...]
             ) -> None:
    """A row quantity built from others; not determined when any of them is not."""
    out[name], out[f"{name}_stderr"] = value, stderr
    undetermined = out.get("undetermined", "").split(",")
    if any(source in undetermined for source in sources):
        out["undetermined"] = ",".join(n for n in [*undetermined, name] if n)
        out[name] = out[f"{name}_stderr"] = float("nan")


def _hall_loop(run: RunData, **_: Any) -> dict:
    out = _field_loop(run, "R_xy (ohm)")
    # R_xy = R_AHE m_z + R_OHE B: the half step is R_AHE, the background slope R_OHE
    _derived(out, "r_ahe", abs(out["half_step"]), out["half_step_stderr"], ("half_step",))
    _derived(out, "r_ohe", out["slope"], out["slope_stderr"], ("slope",))
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
    used = ("Pulse current (A)", readouts[0], "Branch")
    loops = run.data["Loop"].to_numpy(float) if "Loop" in run.data.columns else None
    if loops is not None and np.nanmax(loops) > 1:
        # the first loop starts from whatever state the bar was left in, so one of its
        # branches may have nothing to switch: fit the last loop, which starts switched
        last = np.nanmax(loops)
        keep = loops == last
        current, signal, branch = finite(column(run, "Pulse current (A)")[keep],
                                          column(run, readouts[0])[keep],
                                          column(run, "Branch")[keep])
        notes.append(f"fitted loop {last:g} of {last:g} (the first sets the state)")
        notes.append(missing_rows_note(run, used, keep))
    else:
        current, signal, branch = finite(column(run, "Pulse current (A)"),
                                          column(run, readouts[0]), column(run, "Branch"))
        notes.append(missing_rows_note(run, used))
    if width is not None and thickness is not None:
        w, t = float(width), float(thickness)
    elif "Pulse current density (A/m^2)" in run.data.columns:
        # the file records J = I / (w t) with the station's geometry: take the
        # cross-section from it (j_c = i_c / area; width = area, thickness = 1 m)
        i = run.data["Pulse current (A)"].to_numpy(float)
        j = run.data["Pulse current density (A/m^2)"].to_numpy(float)
        ok = np.isfinite(i) & np.isfinite(j) & (i != 0) & (j != 0)
        if not np.any(ok):
            raise SkipRun("no non-zero pulse current to take the cross-section from")
        w, t = float(np.median(i[ok] / j[ok])), 1.0
        notes.append("cross-section from the file's current-density column")
    else:
        w = t = None
        notes.append("no geometry: current densities skipped (pass width and thickness)")
    out = flat(fit_switching_loop(current, signal, branch, width=w if w else 1.0,
                                   thickness=t if t else 1.0))
    notes.append(add_energies(run, out))  # measured I_c V t_p, or a marked estimate
    if w is None:
        for key in ("j_c_plus", "j_c_minus"):
            out.pop(key, None)
            out.pop(f"{key}_stderr", None)
    out["readout"] = readouts[0]
    _derived(out, "i_c", 0.5 * (abs(out["i_c_plus"]) + abs(out["i_c_minus"])),
             0.5 * float(np.hypot(out["i_c_plus_stderr"], out["i_c_minus_stderr"])),
             ("i_c_plus", "i_c_minus"))
    if out["i_c_plus"] * out["i_c_minus"] > 0:
        # possible (a bias field can shift a loop past zero), but more often a branch that
        # did not switch: then i_c is not the switching current
        notes.append("both switching currents have the same sign: the loop is shifted past "
                     "zero or one branch did not switch; look at the plot before using i_c")
    notes = [n for n in notes if n]
    if notes:
        out["note"] = "; ".join(notes)
    return out


_FITTERS: dict[str, Callable[..., dict]] = {
    "hall_loop": _hall_loop,
    "usmr_loop": _usmr_loop,
    "switching_loop": _switching_loop,
    "harmonic_hall": fit_harmonic_run,
    "switching_probability": fit_probability_run,
    "pulse_sequence": fit_sequence_run,
    "stfmr": fit_stfmr_run,
}


#: header entries whose unit is known even when the value is not a number ("off", "not
#: given"), so that every run lands in one summary column
_HEADER_UNITS = {"Stage temperature": "K", "AFMI thickness": "m"}


def header_columns(run: RunData) -> dict[str, Any]:
    """The run's header as summary columns (module doc): ``param: <label> (<unit>)`` per
    parameter, ``meta: <label> (<unit>)`` per metadata entry; no parentheses without a
    unit."""
    from labspin.analysis.calibration import CALIBRATION_UNITS

    known = _HEADER_UNITS | CALIBRATION_UNITS
    out: dict[str, Any] = {}
    for prefix, entries in ((PARAMETER_PREFIX, run.parameters),
                            (METADATA_PREFIX, run.metadata)):
        for label, value in entries.items():
            unit = run.units.get(label, "") or known.get(label, "")
            out[f"{prefix}{label} ({unit})" if unit else f"{prefix}{label}"] = value
    return out


def fit_run(run: RunData, *, width: float | None = None, thickness: float | None = None,
            r_ahe: float | None = None, r_phe: float | None = None,
            m_eff: float | None = None, ms: float | None = None,
            thickness_f: float | None = None, dr_dt: float | None = None,
            threshold_coefficient: float | None = None) -> dict:
    """Fit one run with the model of its procedure; one flat dict.

    Keys: file, procedure, kind, fitted (bool), verdict, verdict_reason, undetermined,
    error (why not fitted, or None), note (what was skipped or assumed), then every
    fitted quantity with its ``_stderr``, then the run's header (:func:`header_columns`).
    ``width`` and ``thickness`` (m) override the switching-loop cross-section taken from
    the file and give the harmonic-Hall current density; ``r_ahe``, ``r_phe`` (ohm) and
    ``m_eff`` (T) feed the harmonic-Hall analyses (Avci angle scans, Hayashi field
    sweeps); with ``ms`` (A/m) and ``thickness_f`` (FM thickness, m; default
    ``thickness``) they also give xi_DL. Never raises for data that cannot be fitted: a
    failure of any kind in one run becomes that run's row.
    """
    kind = KINDS.get(run.procedure, run.procedure)
    row: dict[str, Any] = {"file": str(run.path), "procedure": run.procedure, "kind": kind,
                           "fitted": False, "verdict": UNDETERMINED, "verdict_reason": "",
                           "undetermined": "", "error": None}
    header = header_columns(run)
    fitter = _FITTERS.get(kind)

    if fitter is None:
        return _not_fitted(run, row, f"no batch fit for {run.procedure} runs") | header
    if run.data.empty:
        return _not_fitted(run, row, "the run has no data rows") | header
    inputs, from_header = calibrated_inputs(
        run, kind, {"r_ahe": r_ahe, "r_phe": r_phe, "m_eff": m_eff, "ms": ms,
                    "dr_dt": dr_dt, "threshold_coefficient": threshold_coefficient})
    try:
        result = fitter(run, width=width, thickness=thickness, thickness_f=thickness_f,
                        **inputs)
    except SkipRun as exc:
        return _not_fitted(run, row, str(exc)) | header
    except (DataError, FitError, ValueError, ArithmeticError, KeyError,
            np.linalg.LinAlgError) as exc:
        return _not_fitted(run, row, f"fit failed: {exc}") | header
    except Exception as exc:  # a bug in a model must not stop a batch of runs
        log.debug("fitting %s failed unexpectedly", run.path, exc_info=True)
        return _not_fitted(run, row, f"fit failed ({type(exc).__name__}: {exc}); this is "
                                     "a labspin bug, please report it with the file") | header
    row["fitted"] = True
    for key in ("verdict", "verdict_reason", "undetermined"):
        row.pop(key)
    row.update(result)
    with_verdict(row)
    if from_header:
        row["note"] = "; ".join(n for n in (from_header, row.get("note")) if n)
    if run.notes:  # e.g. a last row cut off by a crash: say what the fit did not see
        row["note"] = "; ".join([*run.notes, *([row["note"]] if row.get("note") else [])])
    settle(row)
    check_run(run, row)
    settle(row)
    return _ordered(row) | header


def _ordered(row: dict) -> dict:
    first = {k: row[k] for k in _LEADING if k in row}
    return first | {k: v for k, v in row.items() if k not in first}


def _not_fitted(run: RunData, row: dict, reason: str) -> dict:
    row["error"] = reason
    worsen(row, UNDETERMINED, reason)
    check_run(run, row)
    if run.notes:
        row["note"] = "; ".join(run.notes)
    return _ordered(row)


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
