"""numba kernels of the torque-balance solver in ``quasistatic`` (the same algorithm), and
of the readout of the bar's branches that uses it.

The bench solves two equilibria per readout and about fifty per lock-in point, each a
few Newton steps on 3-vectors: in Python the interpreter overhead dominates. This is
the solver of ``quasistatic.equilibrium_reference`` written on scalars, so it compiles;
``tests/physics/test_quasistatic.py`` holds the two to the same answers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_H = 1e-6  # step of the central-difference Jacobian, as in the reference


@njit(cache=True)
def _field(m, p):
    """Total field at m; p = (b_app[3], b_k, u[3], b_demag, b_dl, b_fl, sigma[3])."""
    mu = m[0] * p[4] + m[1] * p[5] + m[2] * p[6]
    out = np.empty(3)
    for i in range(3):
        out[i] = p[i] + p[3] * mu * p[4 + i] + p[9] * p[10 + i]
    out[2] -= p[7] * m[2]
    s0, s1, s2 = p[10], p[11], p[12]
    out[0] += p[8] * (m[1] * s2 - m[2] * s1)
    out[1] += p[8] * (m[2] * s0 - m[0] * s2)
    out[2] += p[8] * (m[0] * s1 - m[1] * s0)
    return out


@njit(cache=True)
def _basis(m):
    a = np.array([1.0, 0.0, 0.0]) if abs(m[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = a - (a[0] * m[0] + a[1] * m[1] + a[2] * m[2]) * m
    e1 /= math.sqrt(e1[0] ** 2 + e1[1] ** 2 + e1[2] ** 2)
    e2 = np.array([m[1] * e1[2] - m[2] * e1[1], m[2] * e1[0] - m[0] * e1[2],
                   m[0] * e1[1] - m[1] * e1[0]])
    return e1, e2


@njit(cache=True)
def _residual(m, e1, e2, p):
    b = _field(m, p)
    bm = b[0] * m[0] + b[1] * m[1] + b[2] * m[2]
    bt = b - bm * m
    return (bt[0] * e1[0] + bt[1] * e1[1] + bt[2] * e1[2],
            bt[0] * e2[0] + bt[1] * e2[1] + bt[2] * e2[2])


@njit(cache=True)
def _moved(m, e1, e2, a, b):
    v = m + a * e1 + b * e2
    return v / math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)


@njit(cache=True)
def _jacobian(m, e1, e2, p):
    jac = np.empty((2, 2))
    for k in range(2):
        da, db = (_H, 0.0) if k == 0 else (0.0, _H)
        r0p, r1p = _residual(_moved(m, e1, e2, da, db), e1, e2, p)
        r0m, r1m = _residual(_moved(m, e1, e2, -da, -db), e1, e2, p)
        jac[0, k] = (r0p - r0m) / (2 * _H)
        jac[1, k] = (r1p - r1m) / (2 * _H)
    return jac


@njit(cache=True)
def _largest_real_part(jac):
    """(largest real part of the eigenvalues, the direction of its eigenvector's real
    part up to sign, as numpy/LAPACK give it: unit norm, largest component real)."""
    a, b, c, d = jac[0, 0], jac[0, 1], jac[1, 0], jac[1, 1]
    half = 0.5 * (a + d)
    disc = half * half - (a * d - b * c)
    if disc >= 0:
        lam = half + math.sqrt(disc)
        if b != 0.0:
            x, y = b, lam - a
        elif c != 0.0:
            x, y = lam - d, c
        elif a >= d:
            x, y = 1.0, 0.0
        else:
            x, y = 0.0, 1.0
        norm = math.hypot(x, y)  # not sqrt(x^2 + y^2): a tilt of 1e-180 squares to 0
        return lam, x / norm, y / norm
    q = math.sqrt(-disc)  # eigenvector (b, half - a + i q) of half + i q
    re, im = half - a, q
    mod1 = math.hypot(re, im)
    norm = math.hypot(b, mod1)
    if abs(b) >= mod1:
        return half, b / norm, re / norm
    return half, b * re / mod1 / norm, mod1 / norm


@njit(cache=True)
def solve(p, m_start, tol, max_iterations):
    """Returns (m[3], converged, stable, iterations); see quasistatic.equilibrium."""
    m = m_start / math.sqrt(m_start[0] ** 2 + m_start[1] ** 2 + m_start[2] ** 2)
    scale = max(math.sqrt(p[0] ** 2 + p[1] ** 2 + p[2] ** 2), p[3], p[7], 1e-6)
    for it in range(1, max_iterations + 1):
        e1, e2 = _basis(m)
        r0, r1 = _residual(m, e1, e2, p)
        jac = _jacobian(m, e1, e2, p)
        lam, dx, dy = _largest_real_part(jac)
        stable = lam < 0
        if math.sqrt(r0 * r0 + r1 * r1) < tol * scale and stable:
            return m, True, True, it
        det = jac[0, 0] * jac[1, 1] - jac[0, 1] * jac[1, 0]
        if stable and det != 0.0:
            s0 = -(jac[1, 1] * r0 - jac[0, 1] * r1) / det
            s1 = -(-jac[1, 0] * r0 + jac[0, 0] * r1) / det
        else:
            if dx * r0 + dy * r1 < 0:
                dx, dy = -dx, -dy
            s0, s1 = 0.05 * dx, 0.05 * dy
        norm = math.sqrt(s0 * s0 + s1 * s1)
        if norm > 0.3:
            s0 *= 0.3 / norm
            s1 *= 0.3 / norm
        m = _moved(m, e1, e2, s0, s1)
    e1, e2 = _basis(m)
    jac = _jacobian(m, e1, e2, p)
    r0, r1 = _residual(m, e1, e2, p)
    lam, _, _ = _largest_real_part(jac)
    converged = math.sqrt(r0 * r0 + r1 * r1) < 1e3 * tol * scale
    return m, converged, lam < 0, max_iterations


# -- the readout of the bar's branches (Device.voltages, Device.harmonic_voltages) ------
# Here rather than in a module of its own: numba's on-disk cache of a function does not
# notice edits to the njit functions it calls from other files (``solve``).
#
# A row per current (``ROW_FIELDS``) carries what depends on the bar's temperature at
# that current; ``consts`` carries the rest: ``[amr, smr, usmr_efficiency,
# anomalous_hall, ordinary_hall, hall_misalignment, width, length, nernst, planar_hall
# (NaN: from AMR), u_x, u_y, u_z]``. The arithmetic is that of ``readout.resistances``
# and ``readout.nernst_voltages``, in the same order (tests/physics/
# test_compiled_device.py holds the two to the same numbers).

ROW_FIELDS = ("channel_resistance", "xi_dl", "conducting_thickness", "anisotropy_field",
              "demag_field", "b_dl_per_ampere", "b_y_per_ampere")
_R0, _XI, _TC, _BK, _BD, _BDL, _BY = range(len(ROW_FIELDS))
TOL, MAX_ITERATIONS = 1e-11, 200  # quasistatic.equilibrium's defaults


@njit(cache=True)
def field_terms(field, current, row, consts):
    """quasistatic._packed(Device._terms(props, current)) for sigma = y."""
    b_y = row[_BY] * current
    p = np.empty(13)
    p[0], p[1], p[2] = field[0] + b_y * 0.0, field[1] + b_y * 1.0, field[2] + b_y * 0.0
    p[3] = row[_BK]
    p[4], p[5], p[6] = consts[10], consts[11], consts[12]
    p[7], p[8], p[9] = row[_BD], row[_BDL] * current, 0.0
    p[10], p[11], p[12] = 0.0, 1.0, 0.0
    return p


@njit(cache=True)
def branch_voltages(currents, rows, field, branches, starts, consts, out):
    """out[k] = (V_xx, V_xy, R_xx, R_xy) with ``currents[k]`` flowing (properties
    ``rows[k]``): share-weighted sums over the occupied branches (``branches[j]`` =
    (state, share), solved from ``starts[j]``) of I R plus the Nernst voltages, and of R."""
    amr, smr, usmr, ahe, ohe = consts[0], consts[1], consts[2], consts[3], consts[4]
    misalign, width, length, nernst, planar_set = (consts[5], consts[6], consts[7],
                                                   consts[8], consts[9])
    b_z = field[2]
    for k in range(currents.size):
        current, row = currents[k], rows[k]
        p = field_terms(field, current, row, consts)
        r0 = row[_R0]
        j = current / (width * row[_TC])
        planar = planar_set if not math.isnan(planar_set) else \
            amr * r0 * width / (2.0 * length)
        c = nernst * current ** 2
        v_xx = v_xy = r_sum_xx = r_sum_xy = 0.0
        for b in range(branches.shape[0]):
            m, _, _, _ = solve(p, starts[b], TOL, MAX_ITERATIONS)
            mx, my, mz = m[0], m[1], m[2]
            share = branches[b, 1]
            r_xx = (r0 * (1.0 + amr * mx ** 2 + smr * (1.0 - my ** 2))
                    - r0 * usmr * row[_XI] * j * my)
            r_xy = ahe * mz + 2.0 * planar * mx * my + ohe * b_z + misalign * r0
            n_xx = -c * length / width * my
            n_xy = c * mx
            v_xx += share * (current * r_xx + n_xx)
            v_xy += share * (current * r_xy + n_xy)
            r_sum_xx += share * r_xx
            r_sum_xy += share * r_xy
        out[k, 0], out[k, 1], out[k, 2], out[k, 3] = v_xx, v_xy, r_sum_xx, r_sum_xy
