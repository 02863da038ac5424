"""Batch fit of a HarmonicHall run, by mode: azimuthal angle scans of an in-plane magnet
(Avci et al., PRB 90, 224427 (2014)) or field sweeps of a perpendicular magnet (Hayashi et
al., PRB 89, 144425 (2014)), with xi_DL when the geometry and M_s are given."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from labspin.analysis.loaders import RunData
from labspin.analysis.models._common import (
    POOR,
    DataError,
    nominal,
    std,
    summarize,
    with_verdict,
    worsen,
)
from labspin.analysis.run_columns import SkipRun, column, finite, flat
from labspin.physics.formulas import xi_from_damping_like_field


def _ac_current(run: RunData) -> float | None:
    current = run.parameters.get("AC current amplitude")
    if not isinstance(current, (int, float)) or isinstance(current, bool) or current <= 0:
        return None
    return float(current)


def _geometry(run: RunData, label: str) -> float | None:
    """A positive length from the file's metadata (labspin writes the sample geometry
    since 0.1; older files and other writers do not)."""
    value = run.metadata.get(label)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def _efficiency_inputs(run: RunData, width: float | None, thickness: float | None,
                       thickness_f: float | None, ms: float | None) -> tuple[dict, str | None]:
    """current_density (at I_0), ms and t_f for xi_DL, or why not. Width and thickness
    default to the file's "Bar width" and "Conducting thickness", t_F to "FM thickness"
    (else ``thickness``); J = I_0 / (width thickness) is the mean density over the
    conducting stack, all of it FM in labspin's FM/AFMI stacks. M_s is never in a file."""
    from_file = width is None and thickness is None
    if from_file:
        width, thickness = _geometry(run, "Bar width"), _geometry(run, "Conducting thickness")
        if thickness_f is None:
            thickness_f = _geometry(run, "FM thickness")
    missing = [name for name, v in (("width", width), ("thickness", thickness),
                                    ("M_s (the sample's calibration m_s, or --ms)", ms))
               if v is None]
    current = _ac_current(run)
    if missing or current is None:
        return {}, "xi_DL skipped: needs " + ", ".join(missing or ["the AC current"])
    return {"current_density": current / (float(width) * float(thickness)), "ms": float(ms),
            "t_f": float(thickness_f if thickness_f is not None else thickness)}, None


def _avci(run: RunData, *, r_ahe: float | None, r_phe: float | None, m_eff: float | None,
          efficiency: dict, notes: list[str], b_k: float | None = None,
          errors: dict[str, float] | None = None) -> dict:
    """In-plane magnet: azimuthal scans at several fields (Avci et al., PRB 90, 224427),
    fitted with the equilibrium angle of m in the in-plane anisotropy; R_PHE and B_K from
    the first-harmonic scans (labspin.analysis.models.harmonic_inplane)."""
    from labspin.analysis.models.harmonic import fit_angle_scans
    from labspin.analysis.models.harmonic_inplane import fit_harmonic_hall_inplane

    setpoint = "Field setpoint (T)" if "Field setpoint (T)" in run.data.columns \
        else "Field (T)"
    measured = "Field (T)" if "Field (T)" in run.data.columns else setpoint
    has_1w = "R_xy 1w (ohm)" in run.data.columns
    # the angle the gaussmeters read: a yoke's remanence turns the field from the nominal
    # angle by up to remanence / B, which biases B_DL and R_PHE (files before 0.1 lack it)
    angle = "Field angle read (deg)" if "Field angle read (deg)" in run.data.columns \
        else "Field angle (deg)"
    if angle == "Field angle (deg)":
        notes.append("nominal field angles (the file has no read-back angle)")
    b_set, b, deg, v2w, r1w = finite(
        column(run, setpoint), column(run, measured), column(run, angle),
        column(run, "V_xy 2w (V)"),
        column(run, "R_xy 1w (ohm)") if has_1w else column(run, "V_xy 2w (V)") * 0.0)
    table = fit_angle_scans(b_set, np.deg2rad(deg), v2w)
    out: dict[str, Any] = {"n_fields": len(table)}
    current = run.parameters.get("AC current amplitude")
    missing = []
    if not isinstance(current, (int, float)):
        missing.append("the AC current amplitude")
    if r_ahe is None:
        missing.append("R_AHE (an in-plane bar cannot give it within the field limits: "
                       "give the sample's calibration r_ahe in the station file, or --r-ahe)")
    if r_phe is None and not has_1w:
        missing.append("R_PHE (pass r_phe, or measure R_xy 1w)")
    if m_eff is None and len(table) < 4:
        missing.append(f"M_eff (only {len(table)} field magnitudes; give the sample's "
                       "calibration m_eff, --m-eff, or measure at least 4 fields)")
    elif len(table) < 3:
        missing.append(f"at least 3 field magnitudes (the run has {len(table)})")
    if missing:
        notes.append("B_DL/B_FL skipped: needs " + ", ".join(missing))
        if has_1w:
            from labspin.analysis.models.harmonic_inplane import fit_planar_hall

            planar = fit_planar_hall(b, np.deg2rad(deg), r1w, scan=b_set)
            for key in ("r_phe", "b_k"):
                out[key], out[f"{key}_stderr"] = planar.values[key], planar.stderr(key)
            notes.append("R_PHE and B_K from the 1w angle scans")
        # the per-field Avci amplitudes are still useful: keep the lowest and highest
        for label, row in (("low", table.iloc[0]), ("high", table.iloc[-1])):
            out[f"field_{label}"] = float(row["field"])
            for key in ("dl_amplitude", "fl_amplitude"):
                out[f"{key}_{label}"] = float(row[key])
                out[f"{key}_{label}_stderr"] = float(row[f"{key}_stderr"])
        with_verdict(out)
        _judge_amplitudes(out, table, notes)
        return out
    if has_1w and (r_phe is None or b_k is None):
        notes.append("R_PHE and B_K from the 1w angle scans")
    fitted = flat(fit_harmonic_hall_inplane(
        b, np.deg2rad(deg), v2w, current_amplitude=float(current), r_ahe=float(r_ahe),
        r_phe=r_phe, m_eff=m_eff, b_k=b_k, r1w=r1w if has_1w else None, scan=b_set,
        **{f"{k}_stderr": v for k, v in (errors or {}).items()}, **efficiency))
    if fitted.get("note"):
        notes.append(fitted.pop("note"))
    out.update(fitted)
    notes.append(heating_note(run, float(current)))
    return out


def _judge_amplitudes(out: dict, table, notes: list[str]) -> None:
    """The per-field amplitudes of a run fitted without R_AHE: README's sigma rule, and
    what A(B) is. A = (I_0/2) R_AHE B_DL / B_perp + V_th holds the anomalous Nernst
    voltage V_th of the read current's heat, which does not depend on the field: only a
    change of A with the field shows a damping-like torque (the data cannot say more
    without R_AHE and M_eff)."""
    from labspin.analysis.formatting import si
    from labspin.analysis.models._common import POOR, worsen
    from labspin.analysis.models.harmonic_inplane import undetermined_when_unresolved

    undetermined_when_unresolved(out)
    notes.append("A(B) is the damping-like part plus the field-independent anomalous "
                 "Nernst voltage, C(B) the field-like part: amplitudes, not torques")
    b = table["field"].to_numpy(float)
    a, err = table["dl_amplitude"].to_numpy(float), table["dl_amplitude_stderr"].to_numpy(float)
    if b.size < 2 or not np.all(np.isfinite(err) & (err > 0)):
        return
    # weighted straight line A(B): is its slope resolved?
    w = 1.0 / err**2
    mean_b = float(np.sum(w * b) / np.sum(w))
    slope_err = float(1.0 / np.sqrt(np.sum(w * (b - mean_b) ** 2)))
    slope = float(np.sum(w * (b - mean_b) * a) * slope_err**2)
    change, change_err = slope * np.ptp(b), slope_err * np.ptp(b)
    shown = f"{si(change, 'V')} ± {si(change_err, 'V', 2)}"
    fields = f"from {si(b.min(), 'T')} to {si(b.max(), 'T')}"
    if abs(change) > 3 * change_err:
        notes.append(f"A changes by {shown} {fields}: a damping-like torque is seen (give "
                     "R_AHE and M_eff for B_DL)")
    elif abs(change) > 2 * change_err:
        notes.append(f"A changes by {shown} {fields}: a damping-like torque is barely "
                     "resolved (give R_AHE and M_eff for B_DL)")
    elif "dl_amplitude_low" not in out.get("undetermined", "").split(","):
        worsen(out, POOR, f"dl_amplitude: A(B) does not change with the field ({shown} "
               f"{fields}): no damping-like torque is resolved, A may be the anomalous "
               "Nernst voltage alone (not a torque)")


def heating_note(run: RunData, current: float) -> str:
    """What temperature the torques of a harmonic Hall run belong to. The read current
    heats the bar by Joule heating, in phase with I^2, and the 2w picks the torque at
    the sine's peak heating (for a torque linear in T: sin^2 and sin^4 have the same
    cos 2wt component), so B_DL, B_FL and xi_DL are those of a bar above the stage. A
    file holds no R_xx to estimate the rise: the note says so rather than invent one."""
    from labspin.analysis.formatting import si

    width, thickness = _geometry(run, "Bar width"), _geometry(run, "Conducting thickness")
    density = f", J_0 = {current / (width * thickness):.2g} A/m²" if width and thickness \
        else ""
    return (f"torques of the bar heated by its read current (I_0 = {si(current, 'A')} "
            f"peak{density}): the 2w reads them at the sine's peak heating, above the "
            "stage temperature by an amount this file cannot give (it holds no R_xx); "
            "before comparing with a value at the stage temperature, measure at half "
            "the current: heating goes as I_0^2, so the torque per ampere at I_0 and "
            "I_0/2 agreeing within sigma says it is negligible")


# -- Hayashi field sweeps of a perpendicular magnet -----------------------------------------

_AXES = {0: "x", 1: "y"}


def _sweeps(run: RunData) -> dict[str, tuple[np.ndarray, ...]]:
    """(field, V_1w, V_2w, R_xy^1w) per swept axis ("x", "y") with at least 4 points; a
    run stopped early may have a partial y sweep, which is left out."""
    b, code, v1, v2, r1 = finite(column(run, "Field (T)"), column(run, "Field axis"),
                                  column(run, "V_xy 1w (V)"), column(run, "V_xy 2w (V)"),
                                  column(run, "R_xy 1w (ohm)"))
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
             efficiency: dict, notes: list[str], errors: dict[str, float] | None = None
             ) -> dict:
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

        def fit(ratio: float) -> dict:
            return flat(fit_harmonic_hall_perpendicular(
                bx, v1x, v2x, by, v1y, v2y, current_amplitude=i0, state=state,
                planar_to_anomalous=ratio, **efficiency))

        result = fit(xi)
        _calibration_errors(result, fit, xi, r_phe, ahe, errors or {}, efficiency)
        if ahe is None:
            _apparent_only(result, r_phe)
        out.update(result)
    else:
        axis, sweep = next(iter(sweeps.items()))
        out.update(_hayashi_one_axis(axis, sweep, state, i0, efficiency, notes, r_phe))
    notes.append(heating_note(run, i0))  # the same read-current heating as Avci's scans
    return out


def _apparent_only(result: dict, r_phe: float | None) -> None:
    """Without R_PHE / R_AHE the fields are the apparent ones, B_DL + 2 (R_PHE/R_AHE) B_FL
    and B_FL + 2 (R_PHE/R_AHE) B_DL: off by tens of percent on a typical CoFeB bar (and
    R_PHE cannot be read from a perpendicular magnet's field sweeps). The numbers stay,
    so the two sweeps can be corrected later by hand, but never as an ok torque."""
    why = "R_PHE not given" if r_phe is None else "R_AHE not known"
    fix = ("give --r-phe (the sin 2phi amplitude of R_xy 1w from an in-plane angle scan, "
           "or the calibration's r_phe; --r-phe 0 if negligible)") if r_phe is None else \
        "give --r-ahe (from a Hall loop)"
    worsen(result, POOR, f"b_dl, b_fl: {why}: apparent fields, planar Hall correction not "
           f"applied (often tens of % off); {fix}")


def _calibration_errors(result: dict, fit: Any, ratio: float, r_phe: float | None,
                        r_ahe: float | None, errors: dict[str, float],
                        efficiency: dict) -> None:
    """Widen B_DL, B_FL and xi_DL of a Hayashi fit by the calibration's uncertainties:
    R_PHE / R_AHE through the planar Hall correction (refitted at the ratio plus its
    error), M_s through xi_DL (proportional to 1/M_s)."""
    rel = 0.0
    if r_phe and r_ahe:
        rel = math.hypot(errors.get("r_phe", 0.0) / r_phe, errors.get("r_ahe", 0.0) / r_ahe)
    keys = [k for k in ("b_dl", "b_fl", "b_dl_per_ampere", "b_fl_per_ampere", "xi_dl")
            if k in result and f"{k}_stderr" in result]
    if rel > 0:
        shifted = fit(ratio * (1 + rel))
        for key in keys:
            result[f"{key}_stderr"] = math.hypot(result[f"{key}_stderr"],
                                                 shifted[key] - result[key])
    ms, ms_err = efficiency.get("ms"), errors.get("ms", 0.0)
    if "xi_dl" in keys and ms and ms_err:
        result["xi_dl_stderr"] = math.hypot(result["xi_dl_stderr"],
                                            result["xi_dl"] * ms_err / ms)


def _hayashi_one_axis(axis: str, sweep: tuple[np.ndarray, ...], state: int, i0: float,
                      efficiency: dict, notes: list[str], r_phe: float | None) -> dict:
    """One sweep: its field with the exact macrospin forms, but apparent: the planar Hall
    mixing needs the other sweep (module doc of labspin.analysis.models.harmonic)."""
    from labspin.analysis.models.harmonic import judge_torques
    from labspin.analysis.models.harmonic_perpendicular import (
        HayashiSweep,
        fit_hayashi_sweeps,
        judge_range,
    )

    b, v1, v2, _ = sweep
    got, fit = fit_hayashi_sweeps([HayashiSweep(axis, b, v1, v2)], state=state)
    if axis == "x":
        named = {"apparent_x": -state * got["b_dl"], "b_dl": got["b_dl"],
                 "b_dl_per_ampere": got["b_dl"] / i0}
        notes.append("x sweep only: B_DL without the planar Hall correction (it needs the "
                     "y sweep), B_FL not measured")
        if efficiency:
            # xi is linear in B_DL: the formula's value for 1 T carries the error through
            per_tesla = float(xi_from_damping_like_field(1.0, **efficiency))
            named["xi_dl"] = named["b_dl"] * per_tesla
    else:
        named = {"apparent_y": got["b_fl"], "b_fl": got["b_fl"],
                 "b_fl_per_ampere": got["b_fl"] / i0}
        notes.append("y sweep only: B_FL without the planar Hall correction, B_DL not "
                     "measured")
    result = with_verdict(summarize(named, [fit], field_max=got["b_max"]))
    judge_range(result, nominal(got["inv_bk2"]), std(got["inv_bk2"]), got["b_max"],
                got["serial"], [k for k in named if not k.startswith("apparent")],
                got["points"], got["jumps"], got["b_cut"])
    if r_phe != 0:
        worsen(result, POOR, f"{'b_dl' if axis == 'x' else 'b_fl'}: apparent field of one "
               f"{axis} sweep, the planar Hall correction needs the other sweep too (or "
               "--r-phe 0 if the planar Hall effect is negligible); measure with 'Sweep "
               "along y too'")
    return flat(judge_torques(result, [fit], absolute=False))


def fit_harmonic_run(run: RunData, *, r_ahe: float | None = None, r_phe: float | None = None,
                   m_eff: float | None = None, width: float | None = None,
                   thickness: float | None = None, thickness_f: float | None = None,
                   ms: float | None = None, b_k: float | None = None,
                   r_ahe_stderr: float = 0.0, r_phe_stderr: float = 0.0,
                   m_eff_stderr: float = 0.0, ms_stderr: float = 0.0, **_: Any) -> dict:
    """Fit a HarmonicHall run by its mode (module doc); one flat dict with the verdict.
    The ``*_stderr`` (a calibration's uncertainties) are carried into the sigmas."""
    mode = str(run.parameters.get("Mode", ""))
    if mode not in ("angle scan", "field sweep"):
        raise SkipRun(f"harmonic Hall mode {mode!r}: neither 'angle scan' nor 'field sweep'")
    notes: list[str] = []
    errors = {"r_ahe": r_ahe_stderr, "r_phe": r_phe_stderr, "m_eff": m_eff_stderr,
              "ms": ms_stderr}
    efficiency, why = _efficiency_inputs(run, width, thickness, thickness_f, ms)
    if mode == "angle scan":
        # an R_PHE or M_eff not given is fitted, with its own error
        given = {k: v for k, v in errors.items()
                 if {"r_ahe": r_ahe, "r_phe": r_phe, "m_eff": m_eff, "ms": ms}[k] is not None}
        out = _avci(run, r_ahe=r_ahe, r_phe=r_phe, m_eff=m_eff, efficiency=efficiency,
                    notes=notes, b_k=b_k, errors=given)
    else:
        out = _hayashi(run, r_ahe=r_ahe, r_phe=r_phe, efficiency=efficiency, notes=notes,
                       errors=errors)
    with_verdict(out)
    # README: a sigma as large as the value is "not determined", for every harmonic
    # quantity of either method (a torque consistent with zero is a bound, in the reason)
    from labspin.analysis.models.harmonic_inplane import undetermined_when_unresolved

    undetermined_when_unresolved(out)
    out["method"] = "Avci" if mode == "angle scan" else "Hayashi"
    if why and ("b_dl" in out):
        notes.append(why)
    out["note"] = "; ".join(notes)
    return out
