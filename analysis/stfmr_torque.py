"""The torque efficiency of an STFMR run: Liu's S/A ratio or the DC-bias linewidth.

Used by :mod:`labspin.analysis.stfmr_runs` once the lines and the Kittel fit are done.

* Liu et al. (PRL 106, 036601 (2011)): B_DL / B_y = (S / A) B_2 / (f / gamma') with the
  lines of ``stfmr_line``; taking B_y for the Oersted field of a heavy metal under the
  FM gives xi_FMR per heavy-metal current density. A field-like torque or a stray RF
  field adds to B_y and biases it by B_Oe / B_y.
* Linewidth against a DC current I: alpha_eff = alpha + 2 sin(phi) B_DL / (B_1 + B_2).
  The current also makes a static field along y (its field-like torque, any Oersted
  field), which turns m and so changes kappa and phi oddly in I: it is read from the
  resonance shift odd in I and put into the field at which phi, B_1, B_2 and kappa are
  evaluated. Joule heating is even in I; with five or more currents a cubic takes out
  what the heating does to the torque itself. xi is per mean current density through
  the conducting stack (labspin's xi_DL).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import DataError
from labspin.analysis.models.stfmr import fit_polynomial_slope
from labspin.physics.fmr import (
    GAMMA_HZ,
    kittel_frequency,
    liu_efficiency,
    stiffness_fields,
    xi_from_damping_slope,
)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def weighted_mean(values: list[float], errors: list[float]) -> tuple[float, float]:
    """Weighted mean and its error, widened by the scatter when it exceeds the errors."""
    v, e = np.asarray(values, dtype=float), np.asarray(errors, dtype=float)
    w = 1.0 / e**2
    mean = float(np.sum(w * v) / np.sum(w))
    err = float(1.0 / math.sqrt(np.sum(w)))
    if v.size > 1:
        redchi = float(np.sum(w * (v - mean) ** 2) / (v.size - 1))
        err *= math.sqrt(max(1.0, redchi))
    return mean, err


def _true_field(sweep: dict, kittel: dict) -> tuple[float, float]:
    """(resonance field on the true scale, field angle in rad) of a fitted sweep."""
    angle = math.radians(sweep["angle"])
    return sweep["fit"]["b_res"] - kittel["offsets"].get(round(angle, 9), 0.0), angle


def _vector_terms(b: float, angle: float, b_y: float, kittel: dict,
                  ) -> tuple[float, float, float, float]:
    """(B_1, B_2, phi, kappa) for the applied field b along ``angle`` plus b_y along y;
    kappa = (B_1 + B_2) / d(B_1 B_2)/db, b varied along the applied direction."""
    def stiff(field: float):
        bx, by = field * math.cos(angle), field * math.sin(angle) + b_y
        return stiffness_fields(math.hypot(bx, by), math.atan2(by, bx), kittel["m_eff"],
                                kittel["b_k"])
    h = 1e-6 + 1e-5 * abs(b)
    (b1, b2, phi), (b1p, b2p, _), (b1m, b2m, _) = stiff(b), stiff(b + h), stiff(b - h)
    slope = (b1p * b2p - b1m * b2m) / (2 * h)
    return float(b1), float(b2), float(phi), float((b1 + b2) / slope)


def _resonance_shift_per_field(b: float, angle: float, kittel: dict) -> float:
    """d(applied resonance field)/d(b_y) at a line at b: how a static field along y
    moves it (the frequency held at the one that resonates at b)."""
    frequency = float(kittel_frequency(b, angle, kittel["m_eff"], kittel["b_k"]))

    def f_at(x: float, b_y: float) -> float:
        bx, by = x * math.cos(angle), x * math.sin(angle) + b_y
        return float(kittel_frequency(math.hypot(bx, by), math.atan2(by, bx),
                                      kittel["m_eff"], kittel["b_k"]))

    def applied(b_y: float) -> float:
        field, h = b, 1e-7
        for _ in range(30):
            step = (f_at(field, b_y) - frequency) / (
                (f_at(field + h, b_y) - f_at(field - h, b_y)) / (2 * h))
            field -= step
            if abs(step) < 1e-12:
                break
        return field

    return (applied(1e-5) - applied(-1e-5)) / 2e-5


def drive_ratio(reference: list[dict], kittel: dict) -> tuple[float, float]:
    """B_DL / B_y from S/A of the sweeps without DC current, weighted mean."""
    values, errors = [], []
    for sweep in reference:
        u = sweep["fit"]["uvalues"]
        if u["a"].nominal_value == 0:
            continue
        b, angle = _true_field(sweep, kittel)
        _, b2, _ = (float(v) for v in stiffness_fields(b, angle, kittel["m_eff"],
                                                          kittel["b_k"]))
        ratio = u["s"] / u["a"] * b2 / (sweep["frequency"] / GAMMA_HZ)
        if math.isfinite(ratio.std_dev) and ratio.std_dev > 0:
            values.append(ratio.nominal_value)
            errors.append(ratio.std_dev)
    if not values:
        raise DataError("no line with a measurable antisymmetric part")
    return weighted_mean(values, errors)


def damping_slopes(sweeps: list[dict], kittel: dict) -> list[tuple[float, ...]]:
    """Per (angle, level, frequency) measured at two or more DC currents:
    (d alpha_eff / dI, its error, phi, B_1, B_2) at zero current (module doc)."""
    groups: dict[tuple, list[dict]] = {}
    for s in sweeps:
        groups.setdefault((s["angle"], s["power"], s["frequency"]), []).append(s)
    out = []
    for (_, _, frequency), members in groups.items():
        x = np.array([s["current"] for s in members])
        distinct = np.unique(x).size
        if distinct < 2:
            continue
        b_res = np.array([_true_field(s, kittel)[0] for s in members])
        angle = _true_field(members[0], kittel)[1]
        b_err = np.array([s["fit"]["b_res_stderr"] for s in members])
        b0 = float(np.mean(b_res[x == 0])) if np.any(x == 0) else float(np.mean(b_res))
        b_y_per_a = 0.0
        if np.any(x > 0) and np.any(x < 0):
            shift, _, _ = fit_polynomial_slope(x, b_res, b_err, 2 if distinct >= 3 else 1)
            b_y_per_a = shift / _resonance_shift_per_field(b0, angle, kittel)
        # kappa with the current's static field (odd in I; it would bias the slope)
        kappas = [_vector_terms(b, angle, b_y_per_a * i, kittel)[3]
                  for b, i in zip(b_res, x, strict=True)]
        y = np.array([s["fit"]["linewidth"] / k for s, k in zip(members, kappas, strict=True)])
        err = np.array([s["fit"]["linewidth_stderr"] / k
                        for s, k in zip(members, kappas, strict=True)])
        degree = 3 if distinct >= 5 else (2 if distinct >= 3 and np.any(x > 0)
                                          and np.any(x < 0) else 1)
        slope, slope_err, _ = fit_polynomial_slope(x, y, err, degree)
        b1, b2, phi, _ = _vector_terms(b0, angle, 0.0, kittel)
        w = frequency / GAMMA_HZ
        out.append((slope / w, slope_err / w, phi, b1, b2))
    if not out:
        raise DataError("no frequency measured at two or more DC currents")
    return out


def geometry(run: RunData, ms: float | None, thickness_f: float | None,
             width: float | None, thickness: float | None) -> dict:
    """M_s, t_F, width and conducting thickness: given, else from the run's header."""
    meta = run.metadata
    found = {"ms": ms if ms is not None else _number(run.parameters.get("Sample M_s")),
             "t_f": thickness_f if thickness_f is not None else _number(meta.get("FM thickness")),
             "width": width if width is not None else _number(meta.get("Bar width")),
             "t_cond": thickness if thickness is not None else _number(
                 meta.get("Conducting thickness"))}
    for key, value in found.items():
        if value is not None and value <= 0:
            found[key] = None
    return found


def torques(run: RunData, reference: list[dict], usable: list[dict], kittel: dict,
            out: dict, notes: list[str], **given: Any) -> None:
    """xi_FMR into ``out`` by Liu's S/A (heavy metal) or the DC-bias linewidth; when
    neither can be done, ``out["_xi_reason"]`` says why."""
    geo = geometry(run, **given)
    out["xi_fmr"], out["xi_fmr_stderr"], out["xi_fmr_method"] = math.nan, math.nan, ""
    try:
        ratio, ratio_err = drive_ratio(reference, kittel)
        out["dl_to_y_ratio"], out["dl_to_y_ratio_stderr"] = ratio, ratio_err
    except DataError:
        ratio = None
    missing = [k for k in ("ms", "t_f", "t_cond") if geo[k] is None]
    t_hm = None if missing else geo["t_cond"] - geo["t_f"]
    if ratio is not None and t_hm is not None and t_hm > 1e-3 * geo["t_f"]:
        xi = float(liu_efficiency(ratio, geo["ms"], geo["t_f"], t_hm))
        err = abs(xi / ratio) * ratio_err
        out["xi_fmr_liu"], out["xi_fmr_liu_stderr"] = xi, err
        out["xi_fmr"], out["xi_fmr_stderr"], out["xi_fmr_method"] = xi, err, "Liu S/A"
        notes.append(f"xi_FMR by Liu's S/A with a {t_hm * 1e9:.3g} nm heavy metal under the "
                     "FM (per its current density; a field-like torque biases it)")
    try:
        slopes = damping_slopes(usable, kittel)
    except DataError:
        slopes = []
    if slopes and not (missing or geo["width"] is None):
        area = geo["width"] * geo["t_cond"]
        xis, errs = [], []
        for slope, slope_err, phi, b1, b2 in slopes:
            xi = float(xi_from_damping_slope(slope, phi, b1, b2, geo["ms"], geo["t_f"], area))
            xis.append(xi)
            errs.append(abs(xi / slope) * slope_err if slope else math.inf)
        xi, err = weighted_mean(xis, errs)
        out["xi_dl_linewidth"], out["xi_dl_linewidth_stderr"] = xi, err
        if out["xi_fmr_method"] == "":
            out["xi_fmr"], out["xi_fmr_stderr"] = xi, err
            out["xi_fmr_method"] = "linewidth vs DC current"
    if out["xi_fmr_method"] == "":
        heavy_metal = t_hm is not None and t_hm > 1e-3 * geo["t_f"]
        if missing and (slopes or heavy_metal or geo["t_cond"] is None
                        or geo["t_f"] is None):
            names = {"ms": "M_s (--ms or the run's Sample M_s)", "t_f": "the FM thickness",
                     "t_cond": "the conducting thickness"}
            out["_xi_reason"] = "needs " + ", ".join(names[k] for k in missing)
        elif not slopes:
            out["_xi_by_design"] = True  # a damping run: nothing is wrong with it
            out["_xi_reason"] = (
                "no heavy metal (the antisymmetric line is the field-like torque and stray "
                "fields, so S/A gives B_DL/B_y only) and no DC bias currents: measure at DC "
                "currents of both signs for the linewidth method")
        else:
            out["_xi_reason"] = "needs the bar width"
