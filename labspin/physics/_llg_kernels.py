"""Macrospin LLG right-hand side and its compiled integration loops.

The public interface is :mod:`labspin.physics.llg`. :func:`rhs` is plain arithmetic, so
the numpy fallback runs the very same formula on arrays of ensemble members and the two
paths cannot drift apart; the numba loops compile it into scalar code with no temporary
arrays, which makes one spin about as fast as hand-written C. They live in one file
because numba's on-disk cache does not notice edits to functions in other modules.

Constants arrive packed in one float64 vector (``llg._pack``):
``[gamma/(1+alpha^2), alpha, B_app(3), B_K, u(3), B_demag, B_DL, B_FL, sigma(3), t_pulse]``.
Ensemble loops put members outermost so a member's state stays in registers; the
thermal field is drawn by numpy in blocks, so results do not depend on threads.
"""

from __future__ import annotations

import numpy as np

try:
    from numba import njit, prange

    HAVE_NUMBA = True
except ImportError:  # numpy-only installs keep the fallback path in llg.py
    HAVE_NUMBA = False
    prange = range

    def njit(*_args, **_kwargs):
        """Stand-in decorator: leaves the function as plain Python."""
        return lambda func: func

# FMA contraction and reassociation, but no assumptions about inf/NaN (t_pulse may be
# huge and a diverging run must still show NaN).
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}


def constants(p):
    """Unpack ``p`` into the tuple :func:`rhs` uses; prefactors carry the minus sign."""
    g = p[0]
    return (-g, -g * p[1], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14])


def rhs(mx, my, mz, hx, hy, hz, on, c):
    """dm/dt in Landau-Lifshitz form of the Gilbert equation with spin-orbit torques.

    dm/dt = -gamma/(1+alpha^2) [m x B + alpha m x (m x B)] with
    B = (hx, hy, hz) + B_K (m.u) u - B_demag m_z z + [B_FL sigma + B_DL (m x sigma)],
    the bracket only while the pulse is ``on``; (hx, hy, hz) is applied plus thermal field.
    Writing the Gilbert torques -gamma B_DL m x (m x sigma) - gamma B_FL m x sigma as the
    field B_FL sigma + B_DL (m x sigma) makes the LL form exact (Liu et al., Science 336,
    555 (2012), supplement).
    """
    ng, nga, bk, ux, uy, uz, bd, bdl, bfl, sx, sy, sz = c
    mu = bk * (mx * ux + my * uy + mz * uz)
    bx = hx + mu * ux
    by = hy + mu * uy
    bz = hz + mu * uz - bd * mz
    if on:
        bx = bx + bfl * sx + bdl * (my * sz - mz * sy)
        by = by + bfl * sy + bdl * (mz * sx - mx * sz)
        bz = bz + bfl * sz + bdl * (mx * sy - my * sx)
    px = my * bz - mz * by
    py = mz * bx - mx * bz
    pz = mx * by - my * bx
    qx = my * pz - mz * py
    qy = mz * px - mx * pz
    qz = mx * py - my * px
    return ng * px + nga * qx, ng * py + nga * qy, ng * pz + nga * qz


def renormalise(mx, my, mz):
    """Project back onto the unit sphere; one Newton step of 1/sqrt is exact to
    rounding when |m|^2 - 1 is below 1e-6 (always, for a sane time step)."""
    n2 = mx * mx + my * my + mz * mz
    inv = 1.5 - 0.5 * n2
    if not abs(n2 - 1.0) < 1e-6:
        inv = 1.0 / np.sqrt(n2)
    return mx * inv, my * inv, mz * inv


_constants = njit(cache=True, inline="always")(constants)
_rhs = njit(cache=True, inline="always", fastmath=_FASTMATH)(rhs)
_renormalise = njit(cache=True, inline="always", fastmath=_FASTMATH)(renormalise)


@njit(cache=True, fastmath=_FASTMATH)
def _rk4_member(m, traj, i, p, t0, dt, n_steps, record_every):
    """Advance member ``i`` of ``m`` (N, 3) in place by classical RK4."""
    c = _constants(p)
    hx, hy, hz, tp = p[2], p[3], p[4], p[15]
    mx, my, mz = m[i, 0], m[i, 1], m[i, 2]
    half = 0.5 * dt
    sixth = dt / 6.0
    if record_every > 0:
        traj[0, i, 0], traj[0, i, 1], traj[0, i, 2] = mx, my, mz
    for step in range(n_steps):
        t = t0 + step * dt
        on_half = t + half < tp
        k1x, k1y, k1z = _rhs(mx, my, mz, hx, hy, hz, t < tp, c)
        k2x, k2y, k2z = _rhs(mx + half * k1x, my + half * k1y, mz + half * k1z,
                             hx, hy, hz, on_half, c)
        k3x, k3y, k3z = _rhs(mx + half * k2x, my + half * k2y, mz + half * k2z,
                             hx, hy, hz, on_half, c)
        k4x, k4y, k4z = _rhs(mx + dt * k3x, my + dt * k3y, mz + dt * k3z,
                             hx, hy, hz, t + dt < tp, c)
        mx, my, mz = _renormalise(mx + sixth * (k1x + 2.0 * k2x + 2.0 * k3x + k4x),
                                  my + sixth * (k1y + 2.0 * k2y + 2.0 * k3y + k4y),
                                  mz + sixth * (k1z + 2.0 * k2z + 2.0 * k3z + k4z))
        if record_every > 0 and (step + 1) % record_every == 0:
            r = (step + 1) // record_every
            traj[r, i, 0], traj[r, i, 1], traj[r, i, 2] = mx, my, mz
    m[i, 0], m[i, 1], m[i, 2] = mx, my, mz


@njit(cache=True, nogil=True)
def rk4_serial(m, traj, p, t0, dt, n_steps, record_every):
    """Deterministic RK4 for every member of ``m`` (N, 3), one after the other."""
    for i in range(m.shape[0]):
        _rk4_member(m, traj, i, p, t0, dt, n_steps, record_every)


@njit(cache=True, parallel=True)
def rk4_parallel(m, traj, p, t0, dt, n_steps, record_every):
    """As :func:`rk4_serial`, members spread over threads (they are independent)."""
    for i in prange(m.shape[0]):
        _rk4_member(m, traj, i, p, t0, dt, n_steps, record_every)


@njit(cache=True, fastmath=_FASTMATH)
def _heun_member(m, i, p, t0, dt, n_steps, noise, sigma_th, axis, threshold, t_cross, track):
    """Stochastic Heun for member ``i``; predictor and corrector share one noise draw,
    which makes it converge to the Stratonovich solution (Garcia-Palacios and Lazaro,
    PRB 58, 14937 (1998)). With ``track``, store the first time m.axis drops below
    ``threshold`` (interpolated within the step) and stop the member there.
    """
    if track and t_cross[i] < np.inf:
        return
    c = _constants(p)
    hx, hy, hz, tp = p[2], p[3], p[4], p[15]
    mx, my, mz = m[i, 0], m[i, 1], m[i, 2]
    ax, ay, az = axis[0], axis[1], axis[2]
    d_old = mx * ax + my * ay + mz * az
    half = 0.5 * dt
    for step in range(n_steps):
        t = t0 + step * dt
        if sigma_th > 0.0:
            hx = p[2] + sigma_th * noise[step, i, 0]
            hy = p[3] + sigma_th * noise[step, i, 1]
            hz = p[4] + sigma_th * noise[step, i, 2]
        f1x, f1y, f1z = _rhs(mx, my, mz, hx, hy, hz, t < tp, c)
        f2x, f2y, f2z = _rhs(mx + dt * f1x, my + dt * f1y, mz + dt * f1z,
                             hx, hy, hz, t + dt < tp, c)
        mx, my, mz = _renormalise(mx + half * (f1x + f2x), my + half * (f1y + f2y),
                                  mz + half * (f1z + f2z))
        if track:
            d_new = mx * ax + my * ay + mz * az
            if d_new < threshold:
                t_cross[i] = t + dt * (d_old - threshold) / (d_old - d_new)
                break
            d_old = d_new
    m[i, 0], m[i, 1], m[i, 2] = mx, my, mz


@njit(cache=True, nogil=True)
def heun(m, p, t0, dt, n_steps, noise, sigma_th, axis, threshold, t_cross, track):
    """Stochastic Heun over an ensemble ``m`` (N, 3); ``noise`` is (n_steps, N, 3).

    Serial on purpose: drawing the noise costs as much as integrating, and it runs on the
    other core while this loop holds no GIL (measured: prange here was slower on 2 cores).
    """
    for i in range(m.shape[0]):
        _heun_member(m, i, p, t0, dt, n_steps, noise, sigma_th, axis, threshold, t_cross,
                     track)
