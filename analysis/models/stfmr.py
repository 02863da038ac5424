"""Spin-torque FMR lineshapes, and the Kittel and damping fits over frequencies.

One field sweep at frequency f is the sum of a symmetric and an antisymmetric
Lorentzian of half width Delta B around B_res, on a linear background (Liu et al.,
PRL 106, 036601 (2011)):

    V(B) = S F_S + A F_A + c_0 + c_1 (B - B_res),
    F_S = Delta^2 / ((B - B_res)^2 + Delta^2),  F_A = Delta (B - B_res) / (...).

:func:`stfmr_lorentzian` is exactly that. Over a line of a few Delta the amplitudes,
the angle of m and the Kittel denominator change a little with B, which leaks S into A
at the per-cent level when an anisotropy turns m away from the field: once M_eff and
B_K are known, :func:`stfmr_line` keeps those slow changes (the linear response of an
in-plane macrospin, ``labspin.physics.fmr``) with the same six parameters, so S, A,
B_res and Delta B mean the same and the ratio of the drives is exactly
B_DL / B_y = (S / A) B_2 / (f / gamma'). Its resonance sits where
B_1 B_2 = (f / gamma')^2 + (Delta B / kappa)^2, which :func:`fit_kittel` uses.

Second stages: :func:`fit_kittel` (M_eff, the in-plane anisotropy B_K along y, and a
field offset per angle: the gaussmeter's zero), :func:`fit_damping`
(Delta B / kappa = Gamma + alpha f / gamma'). Their input errors come from the line
fits; a reduced chi-square above 1 widens them, one below 1 never narrows them.
"""

from __future__ import annotations

import math

import lmfit
import numpy as np

from labspin.analysis.models._common import DataError, as_array, correlated, same_length
from labspin.physics.fmr import GAMMA_HZ, resonance_field, stiffness_fields

#: the points of a line a fit needs (six parameters and some freedom)
MIN_LINE_POINTS = 10


def stfmr_lorentzian(b, s, a, b_res, linewidth, offset=0.0, slope=0.0, curvature=0.0):
    """S F_S + A F_A + c_0 + c_1 (B - B_res) + c_2 (B - B_res)^2."""
    x = np.asarray(b, dtype=float) - b_res
    denominator = x * x + linewidth * linewidth
    return (s * linewidth**2 + a * linewidth * x) / denominator + offset + x * (slope
                                                                              + curvature * x)


def _kittel_terms(b_res: float, angle: float, m_eff: float, b_k: float):
    h = 1e-6
    b1, b2, phi = stiffness_fields(np.array([b_res - h, b_res, b_res + h]), angle, m_eff, b_k)
    product = b1 * b2
    s_r = (product[2] - product[0]) / (2 * h)
    return b1[1], b2[1], phi[1], s_r


def _drive_weight(phi):
    """cos(phi) sin(2 phi): both RF drives scale as cos(phi), the AMR's dR/dphi as sin 2phi."""
    return np.cos(phi) * np.sin(2 * phi)


def thermal_shape(b, angle: float, m_eff: float, b_k: float = 0.0) -> np.ndarray:
    """The part of m_y = sin(phi(B)) that a straight line through the sweep misses: the
    shape of a background that follows m_y (the anomalous Nernst voltage of the RF
    heating, V_xx ~ -I_rms^2 m_y), where the anisotropy turns m with the field."""
    b = np.asarray(b, dtype=float)
    m_y = np.sin(stiffness_fields(b, angle, m_eff, b_k)[2])
    design = np.column_stack([np.ones_like(b), b])
    coef, *_ = np.linalg.lstsq(design, m_y, rcond=None)
    return m_y - design @ coef


def stfmr_line(b, s, a, b_res, linewidth, offset=0.0, slope=0.0, curvature=0.0,
               thermal=0.0, *, frequency: float, angle: float, m_eff: float,
               b_k: float = 0.0):
    """The line with the slow changes of an in-plane macrospin kept (module doc): near
    B_res it is :func:`stfmr_lorentzian` with the same parameters; ``thermal`` is the
    amplitude of a background following m_y (:func:`thermal_shape`)."""
    b = np.asarray(b, dtype=float)
    b1, b2, phi = stiffness_fields(b, angle, m_eff, b_k)
    b1r, b2r, phir, s_r = _kittel_terms(float(b_res), angle, m_eff, b_k)
    kappa = (b1r + b2r) / s_r
    width = linewidth / kappa
    denominator = b1 * b2 - b1r * b2r + 1j * width * (b1 + b2)
    weight_r = _drive_weight(phir)
    q = _drive_weight(phi) / weight_r if abs(weight_r) > 1e-3 else 1.0
    numerator = s_r * linewidth * (1j * s + a * (b2 + 1j * width) / b2r)
    x = b - b_res
    background = offset + x * (slope + curvature * x)
    if thermal:
        background = background + thermal * thermal_shape(b, angle, m_eff, b_k)
    return np.real(q * numerator / denominator) + background


def guess_line(b: np.ndarray, v: np.ndarray) -> dict[str, float]:
    """Starting values: background from the ends, resonance at the largest excursion,
    width from the area, then a plain Lorentzian fit (scipy) to polish them."""
    from scipy.optimize import curve_fit

    order = np.argsort(b)
    b, v = b[order], v[order]
    edge = max(2, b.size // 8)
    offset = float(np.median(np.r_[v[:edge], v[-edge:]]))
    dev = v - offset
    k = int(np.argmax(np.abs(dev)))
    area = float(np.trapezoid(np.abs(dev), b))
    width = max(area / (math.pi * max(abs(dev[k]), 1e-30)), 2 * float(np.median(np.diff(b))))
    width = min(width, 0.25 * float(np.ptp(b)))
    start = [float(dev[k]), 0.0, float(b[k]), width, offset, 0.0]
    try:
        start, _ = curve_fit(stfmr_lorentzian, b, v, p0=start, maxfev=4000)
    except (RuntimeError, ValueError):
        pass
    names = ("s", "a", "b_res", "linewidth", "offset", "slope")
    out = dict(zip(names, (float(x) for x in start), strict=True))
    out["linewidth"] = abs(out["linewidth"])
    return out


def fit_line(field, voltage, *, frequency: float, angle: float, m_eff: float | None = None,
             b_k: float = 0.0, quadratic: bool = False) -> dict:
    """Fit one sweep: S, A, B_res, Delta B, background, with standard errors (scaled by
    the residuals: the lock-in noise is not known beforehand). ``m_eff`` (T) given:
    :func:`stfmr_line` with it and ``b_k``; else :func:`stfmr_lorentzian`. ``angle``
    in rad. ``quadratic``: a curved background too (a DC current's bolometric and
    magnetoresistive background follows the angle of m). Also ``inside``: B_res lies
    within the swept fields, one Delta from the ends."""
    b, v = as_array(field, "field"), as_array(voltage, "voltage")
    same_length(field=b, voltage=v)
    if b.size < MIN_LINE_POINTS:
        raise DataError(f"a line needs at least {MIN_LINE_POINTS} points, got {b.size}")
    start = guess_line(b, v)
    if m_eff is None:
        model = lmfit.Model(stfmr_lorentzian)
    else:
        model = lmfit.Model(stfmr_line, independent_vars=["b"],
                            param_names=["s", "a", "b_res", "linewidth", "offset", "slope",
                                         "curvature", "thermal"])
        model.opts.update(frequency=frequency, angle=angle, m_eff=m_eff, b_k=b_k)
    params = model.make_params(**start, curvature=0.0)
    params["curvature"].set(vary=quadratic)
    if m_eff is not None:
        params.add("thermal", value=0.0, vary=False)
    span = float(np.ptp(b))
    params["linewidth"].set(min=1e-3 * span, max=2 * span)
    params["b_res"].set(min=float(b.min()) - span, max=float(b.max()) + span)
    result = model.fit(v, params, b=b)
    if m_eff is not None and float(np.ptp(thermal_shape(b, angle, m_eff, b_k))) > 5e-3:
        # where the anisotropy turns m over the sweep (m_y bends by more than 0.5 % from
        # a straight line), a background following m_y (the Nernst voltage of the RF
        # heat) bends with it: fitted there, left out where it would only trade with
        # the wings of the line
        params["thermal"].set(vary=True)
        result = model.fit(v, params, b=b)
    names = ["s", "a", "b_res", "linewidth", "offset", "slope", "curvature"]
    values = correlated(result, names + (["thermal"] if "thermal" in result.params else []))
    out = {name: float(x.nominal_value) if hasattr(x, "nominal_value") else float(x)
           for name, x in values.items()}
    for name, x in values.items():
        out[f"{name}_stderr"] = float(getattr(x, "std_dev", math.nan))
    out["uvalues"] = values  # the correlated amplitudes, for S/A with its error
    out["redchi"] = float(result.redchi)
    out["success"] = bool(result.success)
    out["n_points"] = int(b.size)
    low, high = float(b.min()), float(b.max())
    out["inside"] = bool(low + out["linewidth"] < out["b_res"] < high - out["linewidth"])
    out["rms_residual"] = float(np.sqrt(np.mean(result.residual**2)))
    return out


def _conservative(result: lmfit.minimizer.MinimizerResult) -> float:
    """Factor on the unscaled errors: sqrt(reduced chi-square) when above 1, else 1."""
    return math.sqrt(max(1.0, float(result.redchi))) if result.nfree > 0 else 1.0


def _errors(result, names, factor: float) -> dict:
    out = {}
    for name in names:
        p = result.params[name]
        out[name] = float(p.value)
        err = p.stderr if p.vary else 0.0
        out[f"{name}_stderr"] = math.nan if err is None else float(err) * factor
    return out


def fit_kittel(frequency, angle, b_res, b_res_err, width=None, *, fit_b_k: str = "auto",
               b_k: float = 0.0, offsets: bool = True, m_eff_start: float = 0.9) -> dict:
    """M_eff (T), B_K (T, uniaxial along y; > 0: easy axis y) and a field offset per angle
    from resonance fields measured at several frequencies (Hz) and angles (rad).

    ``width`` (Delta B / kappa, T) moves each resonance to B_1 B_2 = (f/gamma')^2 +
    width^2 (:func:`stfmr_line`). ``fit_b_k``: "auto" fits B_K when the angles determine
    it (two with different sin^2) and otherwise fits it bounded to B_K >= 0 (the
    in-plane stacks' easy axis across the current), "fixed" holds it at ``b_k``.
    ``offsets``: a field offset per angle with three or more frequencies there. Unknowns
    are added only while the resonances outnumber them: M_eff, then B_K (three or
    more), then the offsets (one more resonance than unknowns)."""
    f = as_array(frequency, "frequency")
    phi = np.broadcast_to(np.asarray(angle, dtype=float), f.shape).copy()
    b = as_array(b_res, "b_res")
    err = as_array(b_res_err, "b_res_err")
    w = np.zeros_like(f) if width is None else as_array(width, "width")
    same_length(frequency=f, b_res=b, b_res_err=err, width=w)
    if f.size < 2:
        raise DataError(f"M_eff needs resonances at 2 or more frequencies, got {f.size}")
    err = np.where(np.isfinite(err) & (err > 0), err, np.nanmedian(err[err > 0]) if
                   np.any(err > 0) else 1e-5)
    groups = sorted({round(float(a), 9) for a in phi})
    params = lmfit.Parameters()
    params.add("m_eff", value=m_eff_start, min=0.0, max=5.0)
    distinct = len({round(math.sin(a) ** 2, 6) for a in groups}) > 1
    if fit_b_k == "fixed" or f.size < 3:  # two resonances determine M_eff alone
        params.add("b_k", value=b_k, vary=False)
    elif distinct:
        params.add("b_k", value=0.005, min=-0.5, max=0.5)
    else:
        params.add("b_k", value=0.005, min=0.0, max=0.5)
    unknowns = 1 + int(params["b_k"].vary)
    for k, a in enumerate(groups):
        n = int(np.sum(np.isclose(phi, a)))
        free = bool(offsets and n >= 3 and f.size > unknowns + 1)
        unknowns += int(free)
        params.add(f"offset_{k}", value=0.0, vary=free, min=-0.01, max=0.01)
    effective = np.sqrt(f**2 + (GAMMA_HZ * w) ** 2)
    index = np.array([groups.index(round(float(a), 9)) for a in phi])

    def residual(p):
        shift = np.array([p[f"offset_{k}"].value for k in range(len(groups))])[index]
        model = resonance_field(effective, phi, p["m_eff"].value, p["b_k"].value) + shift
        return (model - b) / err

    result = lmfit.minimize(residual, params, scale_covar=False)
    if not result.success:
        raise DataError(f"the Kittel fit did not converge: {result.message}")
    factor = _conservative(result)
    names = ["m_eff", "b_k"] + [f"offset_{k}" for k in range(len(groups))]
    out = _errors(result, names, factor)
    out.update(redchi=float(result.redchi) if result.nfree else math.nan, nfree=result.nfree,
               b_k_fitted=bool(params["b_k"].vary), b_k_bounded=bool(
                   params["b_k"].vary and not distinct), angles=groups,
               offsets_fitted=[bool(result.params[f"offset_{k}"].vary)
                               for k in range(len(groups))],
               residual=list(residual(result.params) * err))
    return out


def fit_damping(frequency, width, width_err) -> dict:
    """Gilbert damping and inhomogeneous broadening from Delta B / kappa against f:
    Delta B / kappa = Gamma + alpha f / gamma' (weighted straight line)."""
    f = as_array(frequency, "frequency")
    y = as_array(width, "width")
    err = as_array(width_err, "width_err")
    same_length(frequency=f, width=y, width_err=err)
    if np.unique(f).size < 2:
        raise DataError("alpha needs linewidths at 2 or more frequencies")
    model = lmfit.models.LinearModel()
    params = model.make_params(slope=float(np.polyfit(f, y, 1)[0]),
                               intercept=float(np.polyfit(f, y, 1)[1]))
    result = model.fit(y, params, x=f, weights=1.0 / err, scale_covar=False)
    factor = math.sqrt(max(1.0, float(result.redchi))) if result.nfree > 0 else 1.0
    values = correlated(result, ["slope", "intercept"])
    slope, intercept = values["slope"], values["intercept"]
    alpha = slope * GAMMA_HZ
    return {"alpha": float(alpha.nominal_value), "alpha_stderr": factor * alpha.std_dev,
            "linewidth_0": float(intercept.nominal_value),
            "linewidth_0_stderr": factor * intercept.std_dev,
            "redchi": float(result.redchi) if result.nfree else math.nan,
            "nfree": int(result.nfree)}


def fit_polynomial_slope(x, y, y_err, degree: int = 1) -> tuple[float, float, float]:
    """The linear coefficient of a weighted polynomial fit of y against x (the slope at
    x = 0) and its error: a square term takes out what is even in x (Joule heating of a
    current), a cube what heating does to an odd effect. Returns (slope, error, reduced
    chi-square; NaN without freedom)."""
    x, y, err = (np.asarray(v, dtype=float) for v in (x, y, y_err))
    if np.unique(x).size <= degree:
        raise DataError(f"a polynomial of degree {degree} needs {degree + 1} or more "
                        "different values")
    design = np.vander(x, degree + 1) / err[:, None]
    coef, *_ = np.linalg.lstsq(design, y / err, rcond=None)
    cov = np.linalg.inv(design.T @ design)
    nfree = x.size - degree - 1
    chi2 = float(np.sum((design @ coef - y / err) ** 2))
    redchi = chi2 / nfree if nfree > 0 else math.nan
    factor = math.sqrt(max(1.0, redchi)) if nfree > 0 else 1.0
    return float(coef[-2]), float(math.sqrt(cov[-2, -2]) * factor), redchi
