"""Harmonic Hall of in-plane magnets: azimuthal field scans at several field magnitudes
(Avci et al., PRB 90, 224427 (2014)), with the in-plane anisotropy.

Conventions (labspin.physics.readout and the literature): current along +x, I = I_0
sin(wt), V = V_0 + V_1w sin wt - V_2w cos 2wt; R_xy = R_AHE m_z + R_PHE sin^2(theta)
sin(2 phi), i.e. 2 R_PHE m_x m_y, so R_PHE is the amplitude of R_xy^1w against sin 2 phi
of an in-plane magnet; damping-like field B_DL (m x sigma) and field-like (+ Oersted)
field B_FL along sigma = +y.

The magnet has a uniaxial in-plane easy axis with anisotropy field |B_K|: along y for
B_K > 0, along x for B_K < 0 (the bench's field B_K (m.u) u with u = y or x), and the
demagnetising field M_eff. Per M_s, the energy of m = (sin t cos p, sin t sin p, cos t)
in a field B at angle phi_B from x is

    E = -B sin t cos(p - phi_B) - (|B_K|/2) sin^2 t (sin^2 p or cos^2 p) + (M_eff/2) cos^2 t

(sin^2 p for easy y, cos^2 p for easy x). In the plane the two differ by a constant,
-(B_K/4) cos 2p either way, so m sits at phi_M where B sin(phi_M - phi_B) = (B_K / 2)
sin 2 phi_M. Small current-induced fields tilt m against the second derivatives of E,

    B_par  = B cos(phi_M - phi_B) - B_K cos 2 phi_M                 (in the plane)
    B_perp = B cos(phi_M - phi_B) + M_eff + B_K sin^2 phi_M   (easy y, B_K > 0)
    B_perp = B cos(phi_M - phi_B) + M_eff + |B_K| cos^2 phi_M (easy x, B_K < 0)

out of the plane the easy axis pulls m back into the plane by |B_K| times the squared
projection on it: B_K sin^2 phi_M of an easy-x magnet would be low by |B_K|.

so that, for a quasi-static magnet, V_2w = (I_0 / 2) dR_xy (Avci et al.; derived here with
the anisotropy, which their closed form leaves out):

    V_2w = (I_0/2) R_AHE B_DL cos(phi_M) / B_perp
           + I_0 R_PHE B_FL cos(2 phi_M) cos(phi_M) / B_par + V_th cos(phi_M) + V_off(B)

V_th is the anomalous Nernst voltage of the vertical Joule gradient (field-independent),
V_off a DC offset per field. With B_K = 0 this is the closed form A cos phi + C (2 cos^3 phi
- cos phi), A = (I_0/2) R_AHE B_DL / (B + M_eff) + V_th, C = I_0 R_PHE B_FL / B. Leaving
out B_K at fields a station allows (0.1-0.5 T against M_eff near 1 T) biases B_DL and so
xi_DL by several per cent: B_K changes B_perp and the angle of m.

B_K and R_PHE come from the first-harmonic scans, R_xy^1w = R_PHE sin 2 phi_M + R_off(B):
the anisotropy distorts the sin 2 phi_B shape by about B_K / B. R_AHE and M_eff cannot be
measured in the plane within a station's fields: pass them (a Hall loop along z to
saturation, FMR or a magnetometer), with their uncertainties; otherwise M_eff is fitted
from the field dependence, which at B << M_eff leaves it and B_DL poorly determined (and
says so in the errors and the verdict).

What each sigma contains: the lock-in noise (from the scatter about the fit, or the
given ``sigma``), and the uncertainties of R_AHE, M_eff, B_K and R_PHE carried through by
derivatives; xi_DL adds that of M_s. A noise read from the scatter rests on the fit's
n - p degrees of freedom, so (value - truth) / sigma follows Student's t, not a normal
law: every sigma from the scatter (the joint V_2w fit, the 1w fit's R_PHE and B_K) is
widened by thresholds.t_widening(n - p), 1.5 % for a 15 deg scan at 3 fields (66), 9 %
for 60 deg steps (12), as the loop fits do. The damping-like part and V_th are told
apart only by 1 / B_perp, so they are strongly correlated (about -0.99 at 0.1-0.3 T
against M_eff near 1 T); the joint covariance carries that into B_DL.

What no sigma contains: the read current's heating (the note of
labspin.analysis.harmonic_runs). The 2w reads the torques at the sine's peak heating
dT, the 1w reads R_PHE at 3/4 dT (sin^2 weighted by sin^2), and the given M_eff, B_K and
M_s belong to the stage temperature: on the bench a CoFe 3 nm bar warmed by 3.9 K at 4 mA
gives B_DL 0.5 % and xi_DL 0.75 % high, B_FL 0.2 % (all growing as I_0^2, 2 % and 3 % at
8 mA), which a file without R_xx cannot estimate.
"""

from __future__ import annotations

import math

import numpy as np

from labspin.analysis.models._common import (
    POOR,
    DataError,
    FitError,
    as_array,
    redchi_check,
    same_length,
    sigma_check,
    summarize,
    with_verdict,
    worsen,
)
from labspin.analysis.models._lsq import LeastSquaresFit, fit_least_squares
from labspin.analysis.models.harmonic_inplane_errors import check_planar, own_stiffness, student
from labspin.physics.formulas import xi_from_damping_like_field

__all__ = ["QUOTED", "equilibrium_angle", "fit_harmonic_hall_inplane", "fit_planar_hall",
           "inplane_second_harmonic", "stiffnesses", "undetermined_when_unresolved"]


def equilibrium_angle(phi_field, field, b_k: float = 0.0) -> np.ndarray:
    """phi_M where B sin(phi_M - phi_B) = (B_K/2) sin 2 phi_M (Newton, from phi_B); for
    B above |B_K| the branch nearest the field."""
    phi_b = np.asarray(phi_field, dtype=float)
    b = np.asarray(field, dtype=float)
    phi = phi_b.copy()
    if b_k == 0:
        return phi
    for _ in range(30):
        g = b * np.sin(phi - phi_b) - 0.5 * b_k * np.sin(2 * phi)
        dg = b * np.cos(phi - phi_b) - b_k * np.cos(2 * phi)
        step = np.clip(g / np.where(np.abs(dg) > 1e-12, dg, 1e-12), -0.3, 0.3)
        phi = phi - step
        if np.max(np.abs(step)) < 1e-13:
            break
    return phi


def stiffnesses(phi_m, phi_field, field, b_k: float, m_eff: float):
    """(B_par, B_perp): the restoring fields against an in-plane and an out-of-plane
    tilt of m (module doc): the easy axis along y for B_K > 0, along x for B_K < 0."""
    along = np.asarray(field, dtype=float) * np.cos(np.asarray(phi_m) - phi_field)
    if b_k >= 0:
        out_of_plane = b_k * np.sin(phi_m) ** 2
    else:
        out_of_plane = -b_k * np.cos(phi_m) ** 2
    return along - b_k * np.cos(2 * phi_m), along + out_of_plane + m_eff


def inplane_second_harmonic(phi_field, field, b_dl, b_fl, v_thermal, *, current_amplitude,
                            r_ahe, r_phe, m_eff, b_k=0.0, phi_0=0.0):
    """V_2w (module doc) without the per-field offsets."""
    phi_b = np.asarray(phi_field, dtype=float) - phi_0
    phi_m = equilibrium_angle(phi_b, field, b_k)
    b_par, b_perp = stiffnesses(phi_m, phi_b, field, b_k, m_eff)
    c = np.cos(phi_m)
    i0 = current_amplitude
    return (0.5 * i0 * r_ahe * b_dl * c / b_perp
            + i0 * r_phe * b_fl * np.cos(2 * phi_m) * c / b_par + v_thermal * c)


def _field_index(field: np.ndarray, scan=None) -> tuple[np.ndarray, np.ndarray]:
    """The scans (one offset each) and which point belongs to which: by ``scan`` labels
    (e.g. the field setpoint) when given, else by the field value."""
    labels = field if scan is None else np.asarray(scan, dtype=float).ravel()
    if labels.shape != field.shape:
        raise DataError("scan must have one label per point")
    keys, index = np.unique(labels, return_inverse=True)
    values = np.array([np.mean(field[index == k]) for k in range(keys.size)])
    return values, index


def fit_planar_hall(field, phi, r1w, *, b_k: float | None = None,
                    scan=None) -> LeastSquaresFit:
    """R_PHE and B_K from first-harmonic angle scans, R_xy^1w = R_PHE sin 2 phi_M +
    offset per scan (``b_k`` given: fixed; ``scan`` labels as in
    :func:`fit_harmonic_hall_inplane`)."""
    b, ph, r = as_array(field, "field"), as_array(phi, "phi"), as_array(r1w, "r1w")
    same_length(field=b, phi=ph, r1w=r)
    values, index = _field_index(b, scan)
    design = np.column_stack([np.sin(2 * ph), *(index == k for k in range(values.size))])
    coef, *_ = np.linalg.lstsq(design.astype(float), r, rcond=None)
    start = {"r_phe": float(coef[0]), "b_k": 0.0 if b_k is None else float(b_k)}
    start.update({f"offset_{k}": float(coef[1 + k]) for k in range(values.size)})

    def model(r_phe, b_k, **offsets):
        base = np.array([offsets[f"offset_{k}"] for k in range(values.size)])[index]
        return r_phe * np.sin(2 * equilibrium_angle(ph, b, b_k)) + base

    vary = [n for n in start if not (n == "b_k" and b_k is not None)]
    if r.size <= len(vary):
        raise DataError(f"{r.size} first-harmonic points cannot give R_PHE, B_K and "
                        f"{values.size} offsets")
    fit = fit_least_squares(model, r, start, vary=vary, title="R_xy 1w angle scans")
    if not np.all(np.isfinite(fit.residual)):
        raise FitError(f"the first-harmonic angle-scan fit failed: {fit.message}")
    student(fit)
    return fit


def _inputs_error(fit_fn, values: dict, errors: dict) -> dict[str, float]:
    """Variance added to each output of ``fit_fn(**values)`` by the input ``errors``
    (name -> sigma), from central differences of a refit."""
    base = fit_fn(**values)
    added = dict.fromkeys(base, 0.0)
    for name, err in errors.items():
        if not (err and math.isfinite(err)):
            continue
        h = 0.5 * err
        up = fit_fn(**{**values, name: values[name] + h})
        down = fit_fn(**{**values, name: values[name] - h})
        for key in added:
            added[key] += ((up[key] - down[key]) / (2 * h) * err) ** 2
    return added


def fit_harmonic_hall_inplane(field, phi, v2w, *, current_amplitude: float, r_ahe: float,
                              r_phe: float | None = None, m_eff: float | None = None,
                              b_k: float | None = None, r1w=None, sigma=None, scan=None,
                              fit_phase: bool = False, r_ahe_stderr: float = 0.0,
                              m_eff_stderr: float = 0.0, r_phe_stderr: float = 0.0,
                              b_k_stderr: float = 0.0, current_density: float | None = None,
                              ms: float | None = None, ms_stderr: float = 0.0,
                              t_f: float | None = None) -> dict:
    """Damping-like and field-like fields of an in-plane magnet from azimuthal scans
    (module doc): one joint fit of every V_2w point with the equilibrium angle of m.

    ``field`` (T, best the field measured at each point), ``phi`` (rad from the
    current), ``v2w`` (V); ``scan`` labels the scans (e.g. the field setpoint; default:
    the field values), each with its own offset. R_PHE and B_K come from
    the first-harmonic ``r1w`` (R_xy^1w, ohm) when given (a given ``r_phe`` or ``b_k``
    wins); without r1w, ``b_k`` defaults to 0 (the closed form). ``m_eff`` (T) fixes
    M_eff, else it is fitted. ``*_stderr`` are the inputs' uncertainties. Returns b_dl,
    b_fl (T at I_0), their _per_ampere values, v_thermal (V), m_eff, b_k, r_phe and, with
    current_density (A/m^2 at I_0), ms and t_f, xi_dl; each with ``_stderr``; the verdict.
    """
    b, ph, v = as_array(field, "field"), as_array(phi, "phi"), as_array(v2w, "v2w")
    same_length(field=b, phi=ph, v2w=v)
    values_b, index = _field_index(b, scan)
    if values_b.size < (2 if m_eff is not None else 3):
        raise DataError(f"too few field magnitudes ({values_b.size}) to separate the "
                        "damping-like, thermal (and M_eff) parts; measure more fields")
    planar = None
    if r1w is not None and (r_phe is None or b_k is None):
        planar = fit_planar_hall(b, ph, r1w, b_k=b_k, scan=scan)
        check_planar(planar, ph, [n for n, v in (("r_phe", r_phe), ("b_k", b_k))
                                   if v is None])
        if r_phe is None:
            r_phe, r_phe_stderr = planar.values["r_phe"], planar.stderr("r_phe")
        if b_k is None:
            b_k, b_k_stderr = planar.values["b_k"], planar.stderr("b_k")
    if r_phe is None:
        raise DataError("R_PHE is needed for the field-like part: pass r_phe or the "
                        "first-harmonic R_xy (r1w)")
    b_k = 0.0 if b_k is None else float(b_k)
    i0 = float(current_amplitude)
    weights = None if sigma is None else 1.0 / np.broadcast_to(np.asarray(sigma, float),
                                                                 v.shape)

    # M_eff of a perpendicular magnet (its out-of-plane stiffness mu0 M_eff - B_K) is
    # negative; m stays in the plane while B + M_eff > 0 at the lowest field
    floor = -float(np.min(values_b))
    if m_eff is not None and not m_eff > floor:
        raise DataError(f"M_eff = {m_eff:g} T leaves no out-of-plane stiffness at the "
                        f"lowest field {-floor:g} T (B + M_eff <= 0: m leaves the plane); "
                        "measure above the anisotropy field or check M_eff")

    def joint(r_ahe, r_phe, m_eff_in, b_k):
        start = {"b_dl": 0.0, "b_fl": 0.0, "v_thermal": 0.0,
                 "m_eff": 1.0 if m_eff_in is None else float(m_eff_in), "phi_0": 0.0}
        start.update({f"offset_{k}": 0.0 for k in range(values_b.size)})

        def model(b_dl, b_fl, v_thermal, m_eff, phi_0, **offsets):
            base = np.array([offsets[f"offset_{k}"] for k in range(values_b.size)])[index]
            return base + inplane_second_harmonic(
                ph, b, b_dl, b_fl, v_thermal, current_amplitude=i0, r_ahe=r_ahe,
                r_phe=r_phe, m_eff=m_eff, b_k=b_k, phi_0=phi_0)

        if m_eff_in is None:
            _stiffness_start(start, model, v, values_b.size, floor, weights)
        else:
            _linear_start(start, model, v, values_b.size)
        vary = [n for n in start if not (n == "m_eff" and m_eff_in is not None)
                and not (n == "phi_0" and not fit_phase)]
        if v.size <= len(vary):
            raise DataError(f"{v.size} points cannot fix {len(vary)} parameters")
        return fit_least_squares(model, v, start, vary=vary,
                                 lower={} if m_eff_in is not None else {"m_eff": floor},
                                 weights=weights, scale_covar=sigma is None,
                                 title="V_2w angle scans (Avci, with the anisotropy)")

    fit = joint(r_ahe, r_phe, m_eff, b_k)
    if not np.all(np.isfinite(fit.residual)) or fit.covar is None:
        raise FitError(f"the angle-scan fit did not converge: {fit.message}")
    if sigma is None:  # the lock-in noise read from the scatter about this fit
        student(fit)

    def outputs(r_ahe, r_phe, m_eff_in, b_k):
        f = fit if (r_ahe, r_phe, m_eff_in, b_k) == inputs else joint(r_ahe, r_phe,
                                                                      m_eff_in, b_k)
        return {"b_dl": f.values["b_dl"], "b_fl": f.values["b_fl"]}

    inputs = (r_ahe, r_phe, m_eff, b_k)
    added = _inputs_error(lambda **kw: outputs(**kw),
                          {"r_ahe": r_ahe, "r_phe": r_phe, "m_eff_in": m_eff, "b_k": b_k},
                          {"r_ahe": r_ahe_stderr, "r_phe": r_phe_stderr,
                           "m_eff_in": m_eff_stderr if m_eff is not None else 0.0,
                           "b_k": b_k_stderr})
    cov = fit.covar.copy()
    for key in ("b_dl", "b_fl"):
        i = fit.var_names.index(key)
        cov[i, i] += added[key]
    fit.covar = cov
    q = fit.ufloats()
    named = {"b_dl": q["b_dl"], "b_fl": q["b_fl"], "b_dl_per_ampere": q["b_dl"] / i0,
             "b_fl_per_ampere": q["b_fl"] / i0, "v_thermal": q["v_thermal"],
             "m_eff": q["m_eff"] if m_eff is None else _given(m_eff, m_eff_stderr),
             "b_k": _given(b_k, b_k_stderr), "r_phe": _given(r_phe, r_phe_stderr)}
    named.update(_efficiency(q["b_dl"], current_density, ms, ms_stderr, t_f))
    result = with_verdict(summarize(named, [fit] if planar is None else [fit, planar],
                                    n_fields=int(values_b.size)))
    # the scans can fix M_eff themselves only where B + M_eff changes several-fold
    if m_eff is not None and values_b.size >= 3 and \
            values_b.max() + m_eff > 2 * (values_b.min() + m_eff):
        note = own_stiffness(lambda: joint(r_ahe, r_phe, None, b_k), m_eff, floor,
                              sigma is None)
        if note:
            result["note"] = note
    return _judge(result, fit, values_b, b_k, m_eff is None, sigma is not None)


def _linear_start(start: dict, model, v: np.ndarray, n_fields: int) -> None:
    """Starting values of the parameters V_2w is linear in (the fields, V_th, offsets):
    least squares on the model's columns at the other starting values."""
    names = ["b_dl", "b_fl", "v_thermal", *(f"offset_{k}" for k in range(n_fields))]
    zero = {**start, **dict.fromkeys(names, 0.0)}
    base = model(**zero)
    columns = [model(**{**zero, n: 1.0}) - base for n in names]
    coef, *_ = np.linalg.lstsq(np.column_stack(columns), v - base, rcond=None)
    start.update(dict(zip(names, map(float, coef), strict=True)))


def _stiffness_start(start: dict, model, v: np.ndarray, n_fields: int, floor: float,
                     weights) -> None:
    """Starting M_eff for a fitted M_eff: of a few candidates from an in-plane film's
    (1 T) to a perpendicular one's (just above -B_min), the one whose linear start fits
    best (MINPACK from 1 T does not find a perpendicular bar's -0.08 T)."""
    best = None
    for m_eff in (1.0, 0.3, 0.1, 0.3 * floor, 0.7 * floor, 0.9 * floor):
        trial = {**start, "m_eff": m_eff}
        _linear_start(trial, model, v, n_fields)
        r = model(**trial) - v
        chi = float(np.sum((r if weights is None else r * weights) ** 2))
        if best is None or chi < best[0]:
            best = (chi, trial)
    start.update(best[1])


def _given(value: float, err: float):
    from uncertainties import ufloat

    return ufloat(float(value), float(err)) if err else float(value)


def _efficiency(b_dl, current_density, ms, ms_stderr, t_f) -> dict:
    given = [x is not None for x in (current_density, ms, t_f)]
    if any(given) and not all(given):
        raise DataError("xi_DL needs current_density, ms and t_f together")
    if not all(given):
        return {}
    # xi = 2 e M_s t_F B_DL / (hbar J): linear in B_DL and in M_s
    per_tesla = float(xi_from_damping_like_field(1.0, current_density, ms, t_f))
    ms_factor = _given(1.0, ms_stderr / ms if ms else 0.0)
    return {"xi_dl": b_dl * per_tesla * ms_factor}


#: the quantities of a harmonic Hall result that are numbers a user quotes, with units
QUOTED = {"b_dl": "T", "b_fl": "T", "b_dl_per_ampere": "T/A", "b_fl_per_ampere": "T/A",
          "xi_dl": "", "r_phe": "Ω", "apparent_x": "T", "apparent_y": "T",
          "b_longitudinal": "T", "b_transverse": "T", "dl_amplitude_low": "V",
          "fl_amplitude_low": "V", "dl_amplitude_high": "V", "fl_amplitude_high": "V"}
#: the same fields restated (per ampere, before the planar-Hall correction, in the
#: sample frame): once a torque is said to be not determined, these follow quietly
_RESTATED = {"b_dl_per_ampere", "b_fl_per_ampere", "apparent_x", "apparent_y",
             "b_longitudinal", "b_transverse"}
#: quantity -> the ones computed from it (not determined with it)
_DERIVED = {"b_dl": ("b_dl_per_ampere", "xi_dl"), "b_dl_per_ampere": ("b_dl", "xi_dl"),
            "b_fl": ("b_fl_per_ampere",), "b_fl_per_ampere": ("b_fl",)}


def undetermined_when_unresolved(result: dict, names=None) -> dict:
    """README's rule for every quoted harmonic Hall quantity (``names``, default
    :data:`QUOTED`): a sigma as large as the value leaves it not determined (value and
    sigma NaN, with what is computed from it), the reason giving the 3-sigma bound on
    its magnitude; a torque consistent with zero is a bound, not a number."""
    from labspin.analysis.formatting import si

    said = False
    for name in QUOTED if names is None else names:
        if name not in result or f"{name}_stderr" not in result:
            continue
        value, err = float(result[name]), float(result[f"{name}_stderr"])
        if not (math.isfinite(value) and math.isfinite(err)) or err < abs(value):
            continue
        if said and name in _RESTATED:  # the same field again: not determined, said once
            worsen(result, POOR, "", [name])
            continue
        said = True
        unit = QUOTED.get(name, "")
        worsen(result, POOR, f"{name}: sigma {si(err, unit, 2)} is as large as the value "
               f"{si(value, unit)}: not determined (|{name}| below "
               f"{si(abs(value) + 3 * err, unit, 2)}, value + 3 sigma)",
               [name, *_DERIVED.get(name, ())])
    return result


def _judge(result: dict, fit: LeastSquaresFit, fields: np.ndarray, b_k: float,
           m_eff_fitted: bool, absolute: bool) -> dict:
    """Sigmas (a torque whose sigma is as large as its value is not determined: its
    3-sigma bound is in the reason), the reduced chi-square with absolute errors, fields
    too close to the anisotropy."""
    undetermined_when_unresolved(result)
    sigma_check(result, ["b_dl", "xi_dl"], units={"b_dl": "T"},
                also={"b_dl": ("b_dl_per_ampere", "xi_dl")})
    sigma_check(result, ["b_fl"], units={"b_fl": "T"}, also={"b_fl": ("b_fl_per_ampere",)})
    if m_eff_fitted:
        sigma_check(result, ["m_eff"], units={"m_eff": "T"},
                    also={"m_eff": ("b_dl", "b_dl_per_ampere", "xi_dl")})
    if absolute:
        redchi_check(result, fit.redchi, fit.nfree, "V_2w angle scans")
    if b_k and float(np.min(fields)) < 3 * abs(b_k):
        worsen(result, POOR, f"the lowest field {fields.min():.3g} T is within 3 B_K "
               f"({abs(b_k):.3g} T): m lags the field far; measure at higher fields")
    return result
