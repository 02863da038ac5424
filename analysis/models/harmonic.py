"""Harmonic Hall measurement of spin-orbit fields, in labspin's sign conventions.

Conventions (labspin.physics.readout and the literature): I = I_0 sin(wt), V = V_0 + V_1w
sin wt - V_2w cos 2wt, R_xy = R_AHE cos(theta) + R_PHE sin^2(theta) sin(2 phi) = R_AHE m_z
+ 2 R_PHE m_x m_y (R_PHE is the sin 2 phi amplitude of an in-plane magnet's R_xy),
damping-like field B_DL (m x sigma) and field-like
(+ Oersted) field B_FL sigma with sigma = +y for current along +x. For a quasi-static
magnet V_2w = (I_0/2) (dR_xy/dB) . dB(I_0): the current acts like an extra field dB.
All fields below are the values at the current amplitude I_0 (tesla), with a
``_per_ampere`` version.

(a) Perpendicular magnets, field swept along x and along y (Hayashi et al., PRB 89,
144425 (2014); Kim et al., Nat. Mater. 12, 240 (2013)).
:func:`fit_harmonic_hall_perpendicular` fits both sweeps with the exact macrospin forms
(:mod:`.harmonic_perpendicular`), valid at any |B| < B_K; what follows is their
small-field limit, which :func:`fit_field_sweep` and :func:`planar_hall_correction` keep
for one sweep by hand (it reads B_DL (1 + b^2)/sqrt(1 - b^2) at b = B/B_K). Near zero
field V_1w is a parabola and V_2w a line; the apparent field along the sweep is

    dB'_k = 2 (dV_2w/dB_k) / (d^2 V_1w/dB_k^2)        (k = x, y)

which is minus Hayashi's -2 (dV_2w/dB)/(d^2 V_1w/dB^2) only because our V_2w carries the
opposite sign. The planar Hall effect mixes the two: dB'_x = dB_x - s xi dB_y and
dB'_y = dB_y - s xi dB_x, with s = sign(m_z) and xi = R_PHE / R_AHE, so

    dB_x = (dB'_x + s xi dB'_y) / (1 - xi^2),   dB_y = (dB'_y + s xi dB'_x) / (1 - xi^2).

This is Hayashi's (B_X +- 2 xi_H B_Y) / (1 - 4 xi_H^2), +- for m_z = +-1, with his
xi_H = dR_P / dR_A from R_xy = dR_A cos(theta) + dR_P sin^2(theta) sin(2 phi), which is
R_PHE / R_AHE in the convention above: xi = 2 R_PHE / R_AHE. ``planar_to_anomalous`` is
R_PHE / R_AHE (Hayashi's xi_H). The damping-like field B_DL (m x sigma) points along -s x,
so B_DL = -s dB_x; dB_y is the field-like plus Oersted field.

(b) In-plane magnets, azimuthal scans at several field magnitudes B (Avci et al., PRB 90,
224427 (2014)): :mod:`.harmonic_inplane` fits every point at once with the equilibrium
angle of m in the in-plane anisotropy B_K (``fit_harmonic_hall_inplane``, re-exported
here). Without B_K it reduces to the closed form kept below for per-field tables:

    V_2w(phi) = A(B) cos(phi) + C(B) (2 cos^3 phi - cos phi)
    A(B) = (I_0/2) R_AHE B_DL / (B + M_eff) + V_ANE,    C(B) = I_0 R_PHE B_FL+Oe / B

(tests/physics/test_readout.py checks this form against the device model).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lmfit import Model
from lmfit.models import LinearModel, QuadraticModel, update_param_vals

from labspin.analysis.models._common import (
    DataError,
    as_array,
    check_fit,
    correlated,
    nominal,
    redchi_check,
    same_length,
    sigma_check,
    std,
    summarize,
    weights_from_sigma,
    with_verdict,
)
from labspin.analysis.models.harmonic_inplane import fit_harmonic_hall_inplane
from labspin.analysis.models.harmonic_perpendicular import (
    HayashiSweep,
    fit_hayashi_sweeps,
    judge_range,
)
from labspin.analysis.models.thresholds import t_widening
from labspin.physics.formulas import xi_from_damping_like_field

__all__ = ["avci_angle_scan", "fit_angle_scans", "fit_avci_field_dependence",
           "fit_field_sweep", "fit_harmonic_hall_inplane", "fit_harmonic_hall_perpendicular",
           "planar_hall_correction"]

# -- (a) perpendicular magnets ------------------------------------------------------------


def fit_field_sweep(field, v1w, v2w, *, sigma_1w=None, sigma_2w=None):
    """Parabola through V_1w and line through V_2w of one sweep; returns the apparent
    current-induced field dB' = 2 (dV_2w/dB) / (d^2 V_1w/dB^2) (ufloat, T) and the fits."""
    b = as_array(field, "field")
    v1, v2 = as_array(v1w, "v1w"), as_array(v2w, "v2w")
    same_length(field=b, v1w=v1, v2w=v2)
    if b.size < 4:
        raise DataError("a harmonic Hall sweep needs at least 4 field points")
    quad, line = QuadraticModel(), LinearModel()
    r1 = quad.fit(v1, quad.guess(v1, x=b), x=b, weights=weights_from_sigma(sigma_1w, b.size),
                  scale_covar=sigma_1w is None)
    r2 = line.fit(v2, line.guess(v2, x=b), x=b, weights=weights_from_sigma(sigma_2w, b.size),
                  scale_covar=sigma_2w is None)
    check_fit(r1, "V_1w parabola")
    check_fit(r2, "V_2w line")
    a = correlated(r1)["a"]
    if a.nominal_value == 0:
        raise DataError("V_1w has no curvature: is the magnet perpendicular and the field "
                        "in-plane?")
    slope = correlated(r2)["slope"]
    return slope / a, (r1, r2)


def planar_hall_correction(apparent_x, apparent_y, planar_to_anomalous: float, state: int):
    """True (dB_x, dB_y) from the apparent fields of the x and y sweeps (see module doc);
    ``planar_to_anomalous`` is R_PHE / R_AHE (Hayashi's xi_H)."""
    s = 1.0 if state >= 0 else -1.0
    xi = 2.0 * float(planar_to_anomalous)  # 2 xi_H of Hayashi et al.
    if abs(1.0 - xi**2) < 1e-6:  # Hayashi's xi_H = 1/2
        raise DataError("R_PHE / R_AHE = +-1/2 makes the planar Hall correction singular")
    d_x = (apparent_x + s * xi * apparent_y) / (1.0 - xi**2)
    d_y = (apparent_y + s * xi * apparent_x) / (1.0 - xi**2)
    return d_x, d_y


def fit_harmonic_hall_perpendicular(field_x, v1w_x, v2w_x, field_y, v1w_y, v2w_y, *,
                                    current_amplitude: float, state: int,
                                    planar_to_anomalous: float = 0.0,
                                    current_density: float | None = None,
                                    ms: float | None = None, t_f: float | None = None,
                                    sigma_1w=None, sigma_2w=None) -> dict:
    """Spin-orbit fields of a perpendicular magnet from x and y field sweeps.

    ``state`` is the sign of m_z during the sweeps; ``planar_to_anomalous`` is
    R_PHE / R_AHE (Hayashi's xi_H; module doc). Every V_1w and V_2w point of both sweeps
    is fitted at once with the exact macrospin forms (:mod:`.harmonic_perpendicular`,
    B_K fitted), so any |B| up to about 0.7 B_K,eff is fine and the errors carry the
    correlations. Returns apparent_x, apparent_y (the small-field apparent fields
    2 (dV_2w/dB) / (d^2 V_1w/dB^2) at B = 0 implied by the fit), b_longitudinal (dB_x),
    b_transverse (dB_y), b_dl (= -state dB_x, the coefficient of m x sigma), b_fl
    (field-like + Oersted along y), their _per_ampere values, b_k (when the sweep
    resolves it) and, with ``current_density`` (A/m^2 at I_0), ``ms`` and ``t_f``, xi_dl.
    """
    sweeps = [HayashiSweep("x", field_x, v1w_x, v2w_x), HayashiSweep("y", field_y, v1w_y,
                                                                      v2w_y)]
    xi = float(planar_to_anomalous)
    if abs(1.0 - 4.0 * xi**2) < 1e-6:  # Hayashi's xi_H = 1/2
        raise DataError("R_PHE / R_AHE = +-1/2 makes the planar Hall correction singular")
    got, fit = fit_hayashi_sweeps(sweeps, state=state, planar_to_anomalous=xi,
                                  sigma_1w=sigma_1w, sigma_2w=sigma_2w)
    s = 1.0 if state >= 0 else -1.0
    i0 = float(current_amplitude)
    b_dl, b_fl = got["b_dl"], got["b_fl"]
    named = {"apparent_x": -s * (b_dl + 2 * xi * b_fl), "apparent_y": b_fl + 2 * xi * b_dl,
             "b_longitudinal": -s * b_dl, "b_transverse": b_fl, "b_dl": b_dl, "b_fl": b_fl,
             "b_dl_per_ampere": b_dl / i0, "b_fl_per_ampere": b_fl / i0}
    named.update(_efficiency(b_dl, current_density, ms, t_f))
    result = with_verdict(summarize(named, [fit], state=int(s),
                                    planar_to_anomalous=xi, field_max=got["b_max"]))
    judge_range(result, nominal(got["inv_bk2"]), std(got["inv_bk2"]), got["b_max"],
                got["serial"], [k for k in ("b_dl", "b_fl", "b_dl_per_ampere", "b_fl_per_ampere",
                                             "xi_dl") if k in result],
                got["points"], got["jumps"], got["b_cut"])
    return judge_torques(result, [fit], absolute=sigma_2w is not None)


def judge_torques(result: dict, fits, absolute: bool) -> dict:
    """README's rule, as for angle scans: a torque whose sigma is as large as its value is
    not determined (its 3-sigma bound in the reason); the reduced chi-square of each fit
    when its errors are absolute."""
    from labspin.analysis.models.harmonic_inplane import undetermined_when_unresolved

    undetermined_when_unresolved(result)
    sigma_check(result, ["b_dl", "b_fl", "xi_dl"], units={"b_dl": "T", "b_fl": "T"},
                also={"b_dl": ("b_dl_per_ampere", "xi_dl"), "b_fl": ("b_fl_per_ampere",)})
    if absolute:
        for fit in fits:
            redchi_check(result, float(fit.redchi), int(fit.nfree), "harmonic")
    return result


def _efficiency(b_dl, current_density, ms, t_f) -> dict:
    given = [v is not None for v in (current_density, ms, t_f)]
    if any(given) and not all(given):
        raise DataError("xi_DL needs current_density, ms and t_f together")
    if not all(given):
        return {}
    # xi is linear in B_DL: scale the formula's value for 1 T so the error propagates
    per_tesla = float(xi_from_damping_like_field(1.0, current_density, ms, t_f))
    return {"xi_dl": b_dl * per_tesla}


# -- (b) in-plane magnets -----------------------------------------------------------------


def avci_angle_scan(phi, dl_amplitude, fl_amplitude, offset=0.0, phi_0=0.0):
    """V_2w(phi) = A cos(phi') + C (2 cos^3 phi' - cos phi') + offset, phi' = phi - phi_0."""
    c = np.cos(np.asarray(phi, dtype=float) - phi_0)
    return dl_amplitude * c + fl_amplitude * (2 * c**3 - c) + offset


def damping_like_amplitude(field, a, m_eff, thermal):
    """A(B) = a / (B + M_eff) + thermal; a = (I_0/2) R_AHE B_DL (V T)."""
    return a / (np.asarray(field, dtype=float) + m_eff) + thermal


def field_like_amplitude(field, c, b_shift=0.0):
    """C(B) = c / (B + b_shift); c = (I_0/2) R_PHE B_FL+Oe (V T), b_shift fixed at 0."""
    return c / (np.asarray(field, dtype=float) + b_shift)


class AngleScanModel(Model):
    """One azimuthal scan (phi in radians from the current direction x)."""

    def __init__(self, independent_vars=("phi",), prefix="", nan_policy="raise", **kwargs):
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(avci_angle_scan, **kwargs)
        self.set_param_hint("phi_0", value=0.0, vary=False)

    def guess(self, data, phi, **kwargs):
        """Linear least squares in cos(phi), 2cos^3 - cos and a constant."""
        c = np.cos(as_array(phi, "phi"))
        design = np.column_stack([c, 2 * c**3 - c, np.ones_like(c)])
        (a, f, o), *_ = np.linalg.lstsq(design, as_array(data, "data"), rcond=None)
        pars = self.make_params(dl_amplitude=a, fl_amplitude=f, offset=o, phi_0=0.0)
        return update_param_vals(pars, self.prefix, **kwargs)


class DampingLikeAmplitudeModel(Model):
    """A(B) with free ``a``, ``m_eff`` (T) and ``thermal`` (V)."""

    def __init__(self, independent_vars=("field",), prefix="", nan_policy="raise", **kwargs):
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(damping_like_amplitude, **kwargs)
        self.set_param_hint("m_eff", min=0.0)

    def guess(self, data, field, m_eff=None, **kwargs):
        """Linear least squares for (a, thermal) on a grid of M_eff (or at a given one)."""
        b, y = as_array(field, "field"), as_array(data, "data")
        grid = np.geomspace(1e-3, 10.0, 241) if m_eff is None else np.array([m_eff])
        best = None
        for m in grid:
            design = np.column_stack([1.0 / (b + m), np.ones_like(b)])
            coef, *_ = np.linalg.lstsq(design, y, rcond=None)
            cost = float(np.sum((design @ coef - y) ** 2))
            if best is None or cost < best[0]:
                best = (cost, m, coef)
        _, m, (a, thermal) = best
        pars = self.make_params(a=a, m_eff=m, thermal=thermal)
        return update_param_vals(pars, self.prefix, **kwargs)


class FieldLikeAmplitudeModel(Model):
    """C(B) with free ``c``; ``b_shift`` fixed at zero unless freed."""

    def __init__(self, independent_vars=("field",), prefix="", nan_policy="raise", **kwargs):
        kwargs.update({"prefix": prefix, "nan_policy": nan_policy,
                       "independent_vars": list(independent_vars)})
        super().__init__(field_like_amplitude, **kwargs)
        self.set_param_hint("b_shift", value=0.0, vary=False)

    def guess(self, data, field, **kwargs):
        b, y = as_array(field, "field"), as_array(data, "data")
        c = float(np.sum(y / b) / np.sum(1.0 / b**2))
        pars = self.make_params(c=c, b_shift=0.0)
        return update_param_vals(pars, self.prefix, **kwargs)


def fit_angle_scans(field, phi, v2w, *, sigma=None, fit_phase: bool = False) -> pd.DataFrame:
    """Fit every azimuthal scan (one per distinct ``field``); tidy table with field,
    dl_amplitude, fl_amplitude, offset, phi_0 and their _stderr, redchi. Errors from a
    scan's own scatter are widened for its n - p degrees of freedom (Student t)."""
    b, ph, v = as_array(field, "field"), as_array(phi, "phi"), as_array(v2w, "v2w")
    same_length(field=b, phi=ph, v2w=v)
    weights_all = weights_from_sigma(sigma, v.size)
    model = AngleScanModel()
    rows = []
    for value in np.unique(b):
        sel = b == value
        if np.count_nonzero(sel) < 5:
            raise DataError(f"the scan at {value:g} T has fewer than 5 angles")
        params = model.guess(v[sel], phi=ph[sel])
        params["phi_0"].set(vary=fit_phase)
        w = None if weights_all is None else weights_all[sel]
        result = model.fit(v[sel], params, phi=ph[sel], weights=w, scale_covar=sigma is None)
        check_fit(result, f"angle scan at {value:g} T")
        if sigma is None and result.covar is not None:  # noise from the scatter: Student t
            result.covar = result.covar * t_widening(result.nfree) ** 2
        row = {"field": float(value)}
        row.update(summarize(correlated(result, ["dl_amplitude", "fl_amplitude", "offset",
                                                 "phi_0"])))
        row["redchi"] = float(result.redchi)
        rows.append(row)
    return pd.DataFrame(rows)


def fit_avci_field_dependence(table: pd.DataFrame, *, current_amplitude: float,
                              r_ahe: float, r_phe: float, m_eff: float | None = None,
                              current_density: float | None = None, ms: float | None = None,
                              t_f: float | None = None) -> dict:
    """A(B) and C(B) of :func:`fit_angle_scans` to damping-like, thermal and field-like
    parts. ``m_eff`` (T) fixes M_eff; otherwise it is fitted (needs fields up to about
    M_eff). Returns b_dl, b_fl (T at I_0), their _per_ampere values, m_eff, v_thermal (V),
    a_dl, c_fl (V T) and, with current_density (A/m^2 at I_0), ms and t_f, xi_dl."""
    if len(table) < (2 if m_eff is not None else 3) + 1:
        raise DataError("too few field magnitudes to separate the damping-like, thermal "
                        "(and M_eff) parts; measure more fields")
    b = table["field"].to_numpy(float)
    a_err = table["dl_amplitude_stderr"].to_numpy(float)
    c_err = table["fl_amplitude_stderr"].to_numpy(float)
    absolute = bool(np.all(np.isfinite(a_err) & (a_err > 0)) and
                    np.all(np.isfinite(c_err) & (c_err > 0)))
    dl_model, fl_model = DampingLikeAmplitudeModel(), FieldLikeAmplitudeModel()
    a_data, c_data = table["dl_amplitude"].to_numpy(float), table["fl_amplitude"].to_numpy(float)
    dl_params = dl_model.guess(a_data, field=b, m_eff=m_eff)
    if m_eff is not None:
        dl_params["m_eff"].set(value=m_eff, vary=False)
    r_dl = dl_model.fit(a_data, dl_params, field=b, weights=1 / a_err if absolute else None,
                        scale_covar=not absolute)
    r_fl = fl_model.fit(c_data, fl_model.guess(c_data, field=b), field=b,
                        weights=1 / c_err if absolute else None, scale_covar=not absolute)
    check_fit(r_dl, "damping-like amplitude A(B)")
    check_fit(r_fl, "field-like amplitude C(B)")
    dl, fl = correlated(r_dl), correlated(r_fl)
    i0 = float(current_amplitude)
    b_dl = 2 * dl["a"] / (i0 * r_ahe)
    b_fl = fl["c"] / (i0 * r_phe)  # C = I_0 R_PHE B_FL / B (R_PHE: sin 2 phi amplitude)
    named = {"b_dl": b_dl, "b_fl": b_fl, "b_dl_per_ampere": b_dl / i0,
             "b_fl_per_ampere": b_fl / i0, "m_eff": dl["m_eff"], "v_thermal": dl["thermal"],
             "a_dl": dl["a"], "c_fl": fl["c"]}
    named.update(_efficiency(b_dl, current_density, ms, t_f))
    result = with_verdict(summarize(named, [r_dl, r_fl]))
    if m_eff is None:
        sigma_check(result, ["m_eff"], units={"m_eff": "T"},
                    also={"m_eff": ("b_dl", "b_dl_per_ampere", "xi_dl", "a_dl")})
    return judge_torques(result, [r_dl, r_fl], absolute=absolute)


