"""Hayashi field sweeps of a perpendicular magnet, fitted with the exact macrospin forms.

Conventions as in :mod:`.harmonic` (R_xy = R_AHE m_z + 2 R_PHE m_x m_y, V_2w = (I_0/2) dR_xy
for I = I_0 sin wt, damping-like field B_DL (m x sigma), field-like + Oersted B_FL sigma,
sigma = +y). Macrospin with easy axis z, effective anisotropy field B_K (the z field
B_K m_z), s = sign(m_z), an in-plane field B along x or y and b = B / B_K = sin(theta):

* polar stiffness B_K cos^2(theta), azimuthal stiffness B_K (the tangential field along m
  is B sin(theta) + B_K cos^2(theta) = B_K);
* x sweep (m in the xz plane): the damping-like field is tangential in that plane with
  magnitude B_DL, pointing along -s e_theta, so it acts like an x field -s B_DL / cos(theta);
  B_FL is a y field, turning m by B_FL / B_K towards y;
* y sweep (m in the yz plane): B_DL (m x y) = -s B_DL cos(theta) x, against stiffness B_K;
  B_FL acts like a y field increment, dtheta = B_FL / (B_K cos(theta)).

With kappa = I_0 R_AHE / B_K^2 (the curvature of V_1w at zero field, signed by s as
s kappa_s) and xi = R_PHE / R_AHE (Hayashi's xi_H):

    V_1w = c - kappa_s B^2 / (1 + sqrt(1 - b^2))          (= c' + I_0 R_AHE s sqrt(1 - b^2))
    V_2w,x = d_x + (s kappa_s / 2) B [B_DL / (1 - b^2) + 2 xi B_FL]
    V_2w,y = d_y - (kappa_s / 2) B [B_FL / sqrt(1 - b^2) + 2 xi B_DL sqrt(1 - b^2)]

to first order in the current, for any |B| < B_K. Near zero field they reduce to Hayashi's
parabola and line, and the pointwise ratio 2 (dV_2w/dB) / (d^2 V_1w/dB^2) of the x sweep is
-s B_DL (1 + b^2) / sqrt(1 - b^2) (without the planar Hall term): the small-field analysis
reads B_DL about 1.5 b^2 too large (10 % at b = 0.25); that of the y sweep is B_FL at every
b (a y field increment), and the planar Hall terms have their own shapes.
:func:`fit_hayashi_sweeps` fits every V_1w and V_2w point of both sweeps at once (per sweep
an offset and a slope of V_1w and an offset of V_2w; kappa_s, 1/B_K^2, B_DL, B_FL shared),
so the errors of B_DL and B_FL carry their correlations with the curvature and with B_K.
1/B_K^2 is the fitted parameter: near zero (or slightly negative) when the sweep stays at
small b, where the forms are smooth; B_K is then not resolved, and not needed.
tests/analysis/test_hayashi_exact.py checks the forms against the quasi-static solver of
labspin.physics.

Not separable by these sweeps: the anomalous Nernst voltage of a vertical temperature
gradient, c I^2 m_x, adds (c I_0^2 / 2) B / B_K to V_2w,x, which reads as an extra
B_DL of c I_0 B_K / R_AHE (0.36 % on the accA devB bar at 1.5 mA). It scales with I_0^2 as
the torque does; measure it above B_K (V_2w of m saturated along x) if it matters.
"""

from __future__ import annotations

import math

import numpy as np

from labspin.analysis.models._common import (
    NOT_DETERMINED,
    POOR,
    DataError,
    as_array,
    check_fit,
    same_length,
    worsen,
)
from labspin.analysis.models._lsq import LeastSquaresFit, fit_least_squares

__all__ = ["B_LIMIT", "HayashiSweep", "fit_hayashi_sweeps", "fit_sweeps_once", "hayashi_v1w",
           "hayashi_v2w", "judge_range"]

#: above this B / B_K the macrospin picture of a real film is doubtful (domains, and the
#: stiffness B_K cos^2 theta gets small enough for higher orders in the current)
B_LIMIT = 0.7
_U_MAX = 0.995  # b^2 is clipped here inside the model: a fit that reaches it saw B_K


def hayashi_v1w(field, kappa, inv_bk2, offset=0.0, slope=0.0):
    """V_1w = offset + slope B - kappa B^2 / (1 + sqrt(1 - B^2 / B_K^2)) (kappa signed,
    V/T^2). The slope, free as in Hayashi's parabola, takes up what is odd in B and not
    the magnet's: a lock-in lagging the sweep, an offset drifting during it."""
    b = np.asarray(field, dtype=float)
    r = np.sqrt(1.0 - np.minimum(inv_bk2 * b**2, _U_MAX))
    return offset + slope * b - kappa * b**2 / (1.0 + r)


def hayashi_v2w(axis: str, field, kappa, inv_bk2, b_dl, b_fl, planar_to_anomalous,
                state: int, offset=0.0):
    """V_2w of an ``axis`` ("x" or "y") sweep: the exact first-order forms (module doc)."""
    b = np.asarray(field, dtype=float)
    u = np.minimum(inv_bk2 * b**2, _U_MAX)
    xi = float(planar_to_anomalous)
    s = 1.0 if state >= 0 else -1.0
    if axis == "x":
        return offset + 0.5 * s * kappa * b * (b_dl / (1.0 - u) + 2.0 * xi * b_fl)
    root = np.sqrt(1.0 - u)
    return offset - 0.5 * kappa * b * (b_fl / root + 2.0 * xi * b_dl * root)


class HayashiSweep:
    """The data of one sweep (axis "x" or "y"): field (T), V_1w and V_2w (V)."""

    def __init__(self, axis: str, field, v1w, v2w):
        if axis not in ("x", "y"):
            raise DataError(f"a Hayashi sweep is along x or y, not {axis!r}")
        self.axis = axis
        self.field = as_array(field, "field")
        self.v1w, self.v2w = as_array(v1w, "v1w"), as_array(v2w, "v2w")
        same_length(field=self.field, v1w=self.v1w, v2w=self.v2w)
        if self.field.size < 5 or np.ptp(self.field) <= 0:
            raise DataError(f"the {axis} sweep needs at least 5 distinct fields")


    def within(self, limit: float) -> HayashiSweep:
        """The points with |B| below ``limit``."""
        keep = np.abs(self.field) < limit
        out = HayashiSweep.__new__(HayashiSweep)
        out.axis, out.field, out.v1w, out.v2w = (self.axis, self.field[keep],
                                                 self.v1w[keep], self.v2w[keep])
        return out


def _first_jump(sweep: HayashiSweep, threshold: float = 10.0) -> float:
    """The smallest |B| at which V_1w leaves the macrospin form by more than ``threshold``
    times its scatter (about the fit, and at least that of its second differences),
    growing the fit of V_1w alone (offset, slope, kappa, 1/B_K^2) out from the inner half
    of the sweep one field at a time; inf when it never does."""
    # the noise of V_1w from its second differences along the sweep (a smooth curve adds
    # a nearly constant term, taken out by the median; a jump spoils only three of them)
    along = np.argsort(sweep.field, kind="stable")
    d2 = np.diff(sweep.v1w[along], 2)
    noise = 1.4826 * float(np.median(np.abs(d2 - np.median(d2)))) / math.sqrt(6.0) \
        if d2.size >= 5 else 0.0
    order = np.argsort(np.abs(sweep.field), kind="stable")
    b, v = sweep.field[order], sweep.v1w[order]
    scale = float(np.max(np.abs(b)))
    x = b / scale
    n = max(10, b.size // 2)
    if b.size <= n:
        return math.inf
    coef = np.polyfit(x[:n], v[:n], 2)
    params = {"c": float(coef[2]), "e": float(coef[1]), "kappa": -2.0 * float(coef[0]),
              "p": 0.0}
    while n < b.size:
        fit = fit_least_squares(lambda c, e, kappa, p, _x=x[:n]: hayashi_v1w(_x, kappa, p,
                                                                            c, e),
                                v[:n], params, title="V_1w from the centre")
        params = dict(fit.values)
        spread = max(_block_sigma(fit.residual, 4.0), noise)
        predicted = hayashi_v1w(x[n], params["kappa"], params["p"], params["c"],
                                params["e"])
        if spread > 0 and abs(float(predicted) - v[n]) > max(
                threshold * spread, _smallest_jump(params["kappa"], params["p"])):
            return float(abs(b[n]))
        n += 1
    return math.inf


def _start(sweep: HayashiSweep) -> tuple[float, float, float, float, float, float]:
    """(offset c, kappa, 1/B_K^2, V_2w offset d, slope of V_2w, slope of V_1w) of one
    sweep from polynomials: V_1w = c - kappa B^2/2 - kappa B^4/(8 B_K^2), V_2w = d +
    slope B."""
    b, v1, v2 = sweep.field, sweep.v1w, sweep.v2w
    coef1 = np.polyfit(b, v1, 4) if b.size >= 7 else np.polyfit(b, v1, 2)
    e2 = coef1[-3]
    kappa = -2.0 * e2
    if kappa == 0:
        raise DataError(f"V_1w of the {sweep.axis} sweep has no curvature: is the magnet "
                        "perpendicular and the field in-plane?")
    inv_bk2 = 0.0
    if b.size >= 7:
        inv_bk2 = float(np.clip(8.0 * (-coef1[0]) / kappa, 0.0, 0.5 / np.max(b**2)))
    slope, d = np.polyfit(b, v2, 1)
    return float(coef1[-1]), float(kappa), inv_bk2, float(d), float(slope), float(coef1[-2])


def _block_sigma(residual: np.ndarray, used: float) -> float:
    """The scatter of a block of residuals with ``used`` parameters spent on it."""
    dof = max(residual.size - used, 1.0)
    return float(math.sqrt(np.sum(residual**2) / dof))


def fit_hayashi_sweeps(sweeps: list[HayashiSweep], *, state: int,
                       planar_to_anomalous: float = 0.0, sigma_1w=None,
                       sigma_2w=None) -> tuple[dict, LeastSquaresFit]:
    """:func:`fit_sweeps_once`, and again without the fields at and beyond a jump of V_1w
    (grains that reversed during the sweep: m_z no longer follows the macrospin, and the
    y sweep's V_2w follows m_z), up to three times. The result's "jumps" maps each block
    with a jump to the smallest |B| of its outlying points, "b_cut" is the |B| from which
    points were left out (inf when none)."""
    kwargs = {"state": state, "planar_to_anomalous": planar_to_anomalous,
              "sigma_1w": sigma_1w, "sigma_2w": sigma_2w}
    # grains that reverse at large |B| first: V_1w grown out from the centre of each sweep
    found: dict[str, float] = {}
    for sw in sweeps:
        field = _first_jump(sw)
        if math.isfinite(field):
            found[f"1w {sw.axis}"] = field
    b_cut = min(found.values(), default=math.inf)
    if math.isfinite(b_cut):
        sweeps = [sw.within(b_cut) for sw in sweeps]
        if any(sw.field.size < 5 for sw in sweeps):
            from labspin.analysis.formatting import si

            raise DataError(f"V_1w jumps (grains reversed) already at |B| = {si(b_cut, 'T')}: "
                            "fewer than 5 fields of a sweep below it; measure again after "
                            "the initialising field with a smaller field step")
    got, fit = fit_sweeps_once(sweeps, **kwargs)
    for name, field in got["jumps"].items():
        found[name] = min(field, found.get(name, math.inf))
    for _ in range(3):
        if not got["jumps"]:
            break
        b_cut = min(b_cut, *got["jumps"].values())
        sweeps = [sw.within(b_cut) for sw in sweeps]
        if any(sw.field.size < 5 for sw in sweeps):
            break
        got, fit = fit_sweeps_once(sweeps, **kwargs)
        for name, field in got["jumps"].items():
            found[name] = min(field, found.get(name, math.inf))
    got["jumps"], got["b_cut"] = found, b_cut
    return got, fit


def fit_sweeps_once(sweeps: list[HayashiSweep], *, state: int,
                    planar_to_anomalous: float = 0.0, sigma_1w=None,
                    sigma_2w=None) -> tuple[dict, LeastSquaresFit]:
    """Fit one or two sweeps (x, y) with the exact macrospin forms (module doc).

    Returns ({"b_dl", "b_fl", "kappa", "inv_bk2": ufloats with the joint covariance,
    "b_max": largest |B| swept, "noise": {block: sigma}, "serial": {block: von Neumann
    ratio of the residuals}}, fit). With one sweep only the field of that axis is fitted
    (b_dl for x, b_fl for y) and the planar Hall term cannot be separated: the caller
    must pass ``planar_to_anomalous`` 0 and call the result apparent. Without absolute
    ``sigma_1w``/``sigma_2w`` each of the four blocks (V_1w, V_2w of each sweep) is
    weighted by its own scatter about a first fit (so the noise of V_1w, often 1000
    times that of V_2w, does not swamp V_2w) and the errors come from those scatters."""
    axes = [sw.axis for sw in sweeps]
    if len(set(axes)) != len(axes) or not sweeps:
        raise DataError(f"one sweep per axis expected, got {axes}")
    if len(sweeps) == 1 and planar_to_anomalous:
        raise DataError("one sweep cannot separate the planar Hall term: fit it with "
                        "planar_to_anomalous = 0 (apparent field)")
    s = 1.0 if state >= 0 else -1.0
    xi = float(planar_to_anomalous)
    scale = max(float(np.max(np.abs(sw.field))) for sw in sweeps)  # fields in this unit
    starts = {sw.axis: _start(sw) for sw in sweeps}
    kappa0 = float(np.mean([st[1] for st in starts.values()])) * scale**2
    p0 = float(np.mean([st[2] for st in starts.values()])) * scale**2
    # apparent fields from the lines, then Hayashi's planar Hall correction as the start
    app = {ax: 2.0 * st[4] / (-st[1]) for ax, st in starts.items()}
    app_x, app_y = app.get("x", 0.0), app.get("y", 0.0)
    det = 1.0 - 4.0 * xi**2 if abs(1.0 - 4.0 * xi**2) > 1e-3 else 1.0
    d_x = (app_x + s * 2 * xi * app_y) / det
    d_y = (app_y + s * 2 * xi * app_x) / det
    params = {"kappa": kappa0, "p": p0}
    vary_fields = []
    if "x" in starts or len(sweeps) == 2:
        params["beta_dl"] = -s * d_x / scale
        vary_fields.append("beta_dl")
    if "y" in starts or len(sweeps) == 2:
        params["beta_fl"] = d_y / scale
        vary_fields.append("beta_fl")
    params.setdefault("beta_dl", 0.0)
    params.setdefault("beta_fl", 0.0)
    for ax, st in starts.items():
        params[f"c_{ax}"], params[f"d_{ax}"] = st[0], st[3]
        params[f"e_{ax}"] = st[5] * scale
    x = {sw.axis: sw.field / scale for sw in sweeps}
    blocks = [(f"1w {sw.axis}", sw.axis, sw.v1w) for sw in sweeps] + \
             [(f"2w {sw.axis}", sw.axis, sw.v2w) for sw in sweeps]

    def model(kappa, p, beta_dl, beta_fl, **offsets):
        out = []
        for name, ax, _ in blocks:
            if name.startswith("1w"):
                out.append(hayashi_v1w(x[ax], kappa, p, offsets[f"c_{ax}"],
                                       offsets[f"e_{ax}"]))
            else:
                out.append(hayashi_v2w(ax, x[ax], kappa, p, beta_dl, beta_fl, xi, int(s),
                                       offsets[f"d_{ax}"]))
        return np.concatenate(out) / weights_unit

    data = np.concatenate([v for _, _, v in blocks])
    sizes = [v.size for _, _, v in blocks]
    absolute = sigma_1w is not None and sigma_2w is not None
    if absolute:
        sig = [float(sigma_1w) if n.startswith("1w") else float(sigma_2w)
               for n, _, _ in blocks]
    else:  # first pass: the scatter about the starting polynomials
        sig = []
        for name, ax, v in blocks:
            b = x[ax]
            deg = (4 if b.size >= 7 else 2) if name.startswith("1w") else \
                (3 if b.size >= 6 else 1)
            resid = v - np.polyval(np.polyfit(b, v, deg), b)
            sig.append(_block_sigma(resid, deg + 1) or 1e-30)
    vary = [*vary_fields, "kappa", "p", *[k for k in params if k[:2] in ("c_", "d_", "e_")]]
    fit = None
    for _ in range(1 if absolute else 2):
        weights_unit = np.concatenate([np.full(n, sg) for n, sg in zip(sizes, sig,
                                                                       strict=True)])
        fit = fit_least_squares(model, data / weights_unit, params, vary=vary,
                                scale_covar=False, title="Hayashi sweeps, exact macrospin")
        check_fit(fit, "Hayashi field sweeps (exact macrospin forms)")
        params = dict(fit.values)
        if absolute:
            break
        # second pass: each block weighted by its own scatter about the joint fit; the
        # shared parameters are shared out among the blocks by their data points
        resid = fit.residual * weights_unit
        shared = len(vary) - 3 * len(sweeps)
        sig, at = [], 0
        for (name, _, _), n in zip(blocks, sizes, strict=True):
            used = (2.0 if name.startswith("1w") else 1.0) + shared * n / data.size
            sig.append(_block_sigma(resid[at:at + n], used) or 1e-30)
            at += n
    values = fit.ufloats()
    resid = fit.residual * weights_unit
    noise, serial, points, jumps, at = {}, {}, {}, {}, 0
    for (name, ax, _), n, sg in zip(blocks, sizes, sig, strict=True):
        r = resid[at:at + n]
        noise[name] = sg
        serial[name] = _von_neumann(r)
        points[name] = n
        outliers = _outliers(r) & (np.abs(r) * sg > _smallest_jump(fit.values["kappa"],
                                                                     fit.values["p"]))
        if name.startswith("1w") and outliers.any():
            jumps[name] = float(np.min(np.abs(x[ax][outliers]))) * scale
        at += n
    named = {"b_dl": values["beta_dl"] * scale, "b_fl": values["beta_fl"] * scale,
             "kappa": values["kappa"] / scale**2, "inv_bk2": values["p"] / scale**2,
             "b_max": scale, "noise": noise, "serial": serial, "points": points, "jumps": jumps,
             "vary": vary_fields}
    return named, fit


def _smallest_jump(kappa: float, p: float) -> float:
    """The smallest jump of V_1w taken for reversed grains: 2e-4 of the anomalous Hall
    swing 2 I_0 R_AHE = 2 |kappa| B_K^2 (kappa and p = (B_max / B_K)^2 in the fit's field
    unit B_max; B_K taken as at least B_max / B_LIMIT). A smaller share of reversed grains
    changes the torques by less than 0.04 %; the field read back jitters, so the scatter
    of V_1w grows with |B| and a threshold in sigmas alone sees jumps that are not."""
    b_k2 = max(1.0 / p if p > 0 else 0.0, 1.0 / B_LIMIT**2)
    return 2e-4 * 2.0 * abs(kappa) * b_k2


def _outliers(r: np.ndarray) -> np.ndarray:
    """Points more than 10 robust sigmas (1.48 median absolute deviations) off the fit:
    Gaussian noise of a few dozen points never goes beyond 5."""
    r = np.asarray(r, dtype=float)
    if r.size < 15:  # the median absolute deviation of fewer is too unsure
        return np.zeros(r.size, dtype=bool)
    mad = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    return np.abs(r - np.median(r)) > 10.0 * mad if mad > 0 else np.zeros(r.size, bool)


def _von_neumann(r: np.ndarray) -> float:
    """mean squared successive difference over twice the variance: about 1 for white
    residuals, well below 1 when they follow a structure the model misses (a step)."""
    r = np.asarray(r, dtype=float)
    var = float(np.mean((r - r.mean()) ** 2))
    if r.size < 4 or var <= 0:
        return 1.0
    return float(np.mean(np.diff(r) ** 2) / (2.0 * var))


def judge_range(result: dict, inv_bk2: float, inv_bk2_err: float, b_max: float,
                serial: dict[str, float], quantities: list[str],
                n_points: dict[str, int], jumps: dict[str, float] | None = None,
                b_cut: float = math.inf) -> dict:
    """Poor when the sweep reaches past B_LIMIT B_K (not determined at B_K); not
    determined when V_1w jumps off the form (``jumps``: block -> smallest |B| of a jump,
    grains that reversed; ``b_cut``: fields from there on were left out); poor when the
    residuals of a sweep follow a structure (domains, a drift) instead of scattering;
    adds b_k (T) when the sweep resolves it."""
    from labspin.analysis.formatting import si

    label = " and ".join(name for key, name in (("b_dl", "B_DL"), ("b_fl", "B_FL"))
                         if key in quantities)
    limit_text = ""
    if inv_bk2 > 0:
        b_k = 1.0 / math.sqrt(inv_bk2)
        b_k_err = 0.5 * inv_bk2_err / inv_bk2 * b_k
        if b_k_err < 0.3 * b_k:
            result["b_k"], result["b_k_stderr"] = b_k, b_k_err
        reach = b_max / b_k
        limit_text = f"sweep to at most ±{si(B_LIMIT * b_k, 'T')} ({B_LIMIT:g} B_K)"
        if reach >= 0.99 * math.sqrt(_U_MAX):
            worsen(result, NOT_DETERMINED, f"{label}: the sweep reaches B_K ({si(b_k, 'T')} "
                   "from the 1w curvature), where m lies in the plane and the forms fail; "
                   + limit_text, quantities)
        elif reach > B_LIMIT:
            worsen(result, POOR, f"{label}: the sweep reaches {reach:.2f} B_K (B_K = "
                   f"{si(b_k, 'T')} from the 1w curvature), where a film forms domains and "
                   f"the macrospin forms fail; {limit_text}")
    if jumps:
        name, field = min(jumps.items(), key=lambda item: item[1])
        low = min(field, b_cut)
        worsen(result, NOT_DETERMINED,
               f"{label}: V_{name} sweep jumps off the macrospin form at |B| = "
               f"{si(field, 'T')} (grains reversed during the sweep, so m_z is no longer the "
               f"same everywhere and the torques read wrong by up to 1/<m_z>); measure again "
               f"after the initialising field, sweeping to below ±{si(low, 'T')}",
               quantities)
    structured = [name for name, eta in serial.items()
                  if eta < min(0.35, 1.0 - 4.0 / math.sqrt(max(n_points.get(name, 4), 4)))]
    if structured:
        name = structured[0]
        worsen(result, POOR, f"{label}: the residuals of V_{name} sweep follow a structure "
               f"(von Neumann ratio {serial[name]:.2f}, about 1 for noise): grains reversing, "
               "domains or a drift during the sweep? Check V_1w against the field")
    return result
