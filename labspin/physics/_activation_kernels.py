"""Compiled thermal activation of the Hall bar's grains (numba), for ``Device``.

The same formulas as :mod:`labspin.physics.activation` (``barrier``, ``escape_rate``) and
the two-state master equation of ``Device``, written on scalars so that one call covers
every grain, both wells, the samples of a sine or the steps of a heating transient. In
numpy each of those is some twenty calls on 32-element arrays, and the call overhead was
most of the bench's time. ``tests/physics/test_compiled_device.py`` holds the two paths
to the same numbers (``labspin.physics._device_reference`` keeps the numpy one).

Properties at one temperature arrive as one row (:data:`ROW_FIELDS`); a pulse passes a
table of rows, one per step of its heating transient. Kinetics and geometry arrive
packed in ``kin``: ``[field_exponent, current_exponent, attempt_time, chirality_field,
u_x, u_y, u_z, antidamping (1.0 or 0.0), (sigma x u)_x, _y, _z]``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: the columns of a properties row
ROW_FIELDS = ("anisotropy_field", "demag_field", "switching_field", "barrier", "damping",
              "b_dl_per_ampere", "b_y_per_ampere")
_BK, _BD, _BN, _D0, _ALPHA, _BDL, _BY = range(len(ROW_FIELDS))
_SQRT_HALF = math.sqrt(0.5)


@njit(cache=True)
def _fraction(drive, r, tail):
    """antidamping_barrier_fraction for one drive (r sorted ascending, tail its sums)."""
    n = r.size
    lo, hi = 0, n  # first index with r[k] > drive (searchsorted, side="right")
    while lo < hi:
        mid = (lo + hi) // 2
        if r[mid] <= drive:
            lo = mid + 1
        else:
            hi = mid
    value = (n - lo) / n - drive * tail[lo]
    return value if value > 0.0 else 0.0


@njit(cache=True)
def _power(x, exponent):
    """x ** exponent, with the exponents the presets use (1, 2) done as numpy does them
    (numpy's power takes those fast paths too: x itself and x * x)."""
    if exponent == 1.0:
        return x
    if exponent == 2.0:
        return x * x
    return x ** exponent


@njit(cache=True)
def _current_factor(s, b_u, bias, b_dl, row, kin, r, tail):
    """The current factor of the barrier for grains in state ``s`` (+1.0/-1.0); it does
    not depend on the grain (activation.barrier, activation.current_drive)."""
    b_k, b_d = row[_BK], row[_BD]
    if kin[7] > 0.5:  # sigma = y along the easy axis: antidamping (Apalkov-Visscher)
        stiff = max(b_k + s * b_u, 1e-6)
        liu = row[_ALPHA] * (stiff + b_d / 2)
        drive = -s * math.copysign(1.0, kin[5]) * b_dl / liu
        return _power(_fraction(drive, r, tail), kin[1])
    b_c = max(b_k / 2 - abs(bias) / math.sqrt(2), 0.05 * b_k)
    chirality = math.tanh(abs(bias) / kin[3])
    target = math.copysign(1.0, b_dl * bias) if b_dl * bias != 0 else 0.0
    i = -s * target * abs(b_dl) / b_c * chirality
    return _power(max(1.0 - i, 0.0), kin[1])


@njit(cache=True)
def rate_pairs(out, states, field, current, row, kin, r, tail, barrier_scale,
               nucleation_scale):
    """out[0, i]: rate out of grain i's well; out[1, i]: rate back into it (1/s), at a
    DC ``current`` (A) with the properties ``row``.

    Delta = Delta_0 * barrier_scale * F(B) * current factor (activation.barrier) and
    1/tau = exp(-Delta) / tau_0; what does not depend on the grain is computed once."""
    b_y = row[_BY] * current
    bx, by, bz = field[0] + 0.0, field[1] + b_y, field[2] + 0.0
    b_dl = row[_BDL] * current
    b_k, b_d = row[_BK], row[_BD]
    ux, uy, uz = kin[4], kin[5], kin[6]
    # field factor, the part common to all grains (activation.field_factor)
    b_u = bx * ux + by * uy + bz * uz
    px, py, pz = bx - b_u * ux, by - b_u * uy, bz - b_u * uz
    p_z = pz if abs(uz) < 0.5 else 0.0
    p_in = math.sqrt(max(px * px + py * py + pz * pz - p_z ** 2, 0.0))
    h_p23 = math.hypot(p_in / b_k, p_z / (b_k + b_d)) ** (2.0 / 3.0)
    g_p = h_p23 * math.sqrt(h_p23)  # g of a grain with no field against it
    bias = bx * kin[8] + by * kin[9] + bz * kin[10]
    factor_up = _current_factor(1.0, b_u, bias, b_dl, row, kin, r, tail)
    factor_down = _current_factor(-1.0, b_u, bias, b_dl, row, kin, r, tail)
    fe, d0, tau0 = kin[0], row[_D0], kin[2]
    for i in range(states.size):
        b_n = row[_BN] * nucleation_scale[i]
        for w in range(2):
            s = float(states[i]) if w == 0 else -float(states[i])
            along = s * b_u
            h_a = max(-along, 0.0) / b_n
            h_s = max(along, 0.0) / b_n
            if h_a > 0.0:
                g = h_a ** (2.0 / 3.0) + h_p23
                g = g * math.sqrt(g)
            else:
                g = g_p
            f = _power(max(1.0 - g, 0.0), fe) * _power(1.0 + h_s, fe)
            delta = d0 * barrier_scale[i] * f * (factor_up if s > 0 else factor_down)
            out[w, i] = math.exp(-delta) / tau0


@njit(cache=True)
def _share(q, out, back, duration):
    """_device_reference.reversed_share for one grain."""
    total = out + back
    if duration <= 0:
        return q
    q_eq = out / total if total > 0 else q
    x = -total * duration
    return q * math.exp(x) - q_eq * math.expm1(x)


@njit(cache=True)
def wait_reversal(states, field, current, ac_amplitude, sine, weights, duration, row, kin,
                  r, tail, barrier_scale, nucleation_scale):
    """Per grain, the probability to be in the other well after ``duration`` s at a DC
    ``current`` plus a sine of peak ``ac_amplitude``: the rates averaged over the
    ``sine`` samples with ``weights`` (one sample of weight 1 without a sine)."""
    n = states.size
    pair = np.empty((2, n))
    mean = np.zeros((2, n))
    for k in range(sine.size):
        rate_pairs(pair, states, field, current + ac_amplitude * sine[k], row, kin, r,
                   tail, barrier_scale, nucleation_scale)
        for i in range(n):
            mean[0, i] += weights[k] * pair[0, i]
            mean[1, i] += weights[k] * pair[1, i]
    out = np.empty(n)
    for i in range(n):
        out[i] = _share(0.0, mean[0, i], mean[1, i], duration)
    return out


@njit(cache=True)
def pulse_reversal(states, field, amplitude, width, times, rows, which, kin, r_tables,
                   tail_tables, barrier_scale, nucleation_scale):
    """Per grain, the probability to end a pulse in the other well (Device._pulse_reversal):
    rates at each step of the heating transient (``rows[k]`` at ``times[k]``, threshold
    table ``which[k]``), averaged over each interval, then the steady last row for the
    rest of the pulse."""
    n, steps = states.size, times.size
    before = np.empty((2, n))
    after = np.empty((2, n))
    q = np.zeros(n)
    rate_pairs(before, states, field, amplitude, rows[0], kin, r_tables[which[0]],
               tail_tables[which[0]], barrier_scale, nucleation_scale)
    for k in range(steps - 1):
        j = which[k + 1]
        rate_pairs(after, states, field, amplitude, rows[k + 1], kin, r_tables[j],
                   tail_tables[j], barrier_scale, nucleation_scale)
        dt = times[k + 1] - times[k]
        for i in range(n):
            q[i] = _share(q[i], 0.5 * (before[0, i] + after[0, i]),
                          0.5 * (before[1, i] + after[1, i]), dt)
        before, after = after, before
    rest = max(width - times[steps - 1], 0.0)
    for i in range(n):
        q[i] = _share(q[i], before[0, i], before[1, i], rest)
    return q
