"""Macrospin LLG right-hand side, the thermal noise, and the compiled integration loops.

The public interface is :mod:`labspin.physics.llg`. :func:`rhs` and :func:`normals` are
plain arithmetic, so the numpy fallback runs the very same formulas on arrays of
ensemble members and the two paths cannot drift apart; the numba loops compile them into
scalar code with no temporary arrays. They live in one file because numba's on-disk
cache does not notice edits to functions in other modules.

Constants arrive packed in one float64 vector (``llg._pack``):
``[gamma/(1+alpha^2), alpha, B_app(3), B_K, u(3), B_demag, B_DL, B_FL, sigma(3), t_pulse]``.

Thermal ensembles (:func:`heun_ensemble`) keep the members in the inner loop, as
separate x, y, z arrays, so the compiler vectorises across them, and draw their noise
inside the loop from a counter-based generator: the three Gaussian components of member
i at step k are a pure function of (seed, k, i) (Philox4x32-10, Salmon et al., SC'11,
then Box-Muller). Results thus
do not depend on the ensemble size, the block sizes or the backend.
Deterministic RK4 keeps members outermost so a member's state stays in registers.
"""

from __future__ import annotations

import functools
import math

import numpy as np


def _sqrt(x):
    """np.sqrt here, math.sqrt when compiled (the intrinsic, which vectorises; numba's
    np.sqrt of a scalar calls the C library). Both are correctly rounded: same numbers."""
    return np.sqrt(x)


try:
    from numba import njit, prange, types
    from numba.extending import intrinsic, overload

    HAVE_NUMBA = True

    @intrinsic
    def _llvm_sqrt(typingctx, x):
        """The llvm.sqrt intrinsic on a float64."""
        def codegen(context, builder, signature, args):
            fn = builder.module.declare_intrinsic("llvm.sqrt", [args[0].type])
            return builder.call(fn, args)
        return types.float64(types.float64), codegen

    @overload(_sqrt, inline="always")
    def _sqrt_compiled(x):
        return lambda x: _llvm_sqrt(x)
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


# -- counter-based Gaussian noise -----------------------------------------------------
# Written so that the same code runs on numpy arrays of uint64/float64 and, compiled, on
# scalars: selects are products with 0/1, integer constants are uint64.
_PHILOX_M0, _PHILOX_M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)  # Philox4x32
_PHILOX_W0, _PHILOX_W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
_LOW32, _SHIFT32, _SHIFT21, _SHIFT11 = (np.uint64(0xFFFFFFFF), np.uint64(32), np.uint64(21),
                                        np.uint64(11))
_ONE64 = np.uint64(1)
_ZERO64 = np.uint64(0)
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # fdlibm split
_HALF_PI = np.pi / 2
#: series coefficients, highest power first: atanh(s)/s in s^2 (1/21, ..., 1/3, 1),
#: sin(x)/x and cos(x) in x^2 (signs alternating, 1/15! ... 1 and 1/16! ... 1)
_ATANH = tuple(1.0 / k for k in range(21, 0, -2))
_SIN = tuple((-1.0) ** (k // 2) / math.factorial(k) for k in range(15, -1, -2))
_COS = tuple((-1.0) ** (k // 2) / math.factorial(k) for k in range(16, -1, -2))


def _philox_round(c0, c1, c2, c3, k0, k1):
    """One round of Philox4x32 (Salmon et al., SC'11) on 32-bit words held in uint64,
    then the key's Weyl step."""
    p0, p1 = _PHILOX_M0 * c0, _PHILOX_M1 * c2  # exact: both factors below 2^32
    return ((p1 >> _SHIFT32) ^ c1 ^ k0, p1 & _LOW32, (p0 >> _SHIFT32) ^ c3 ^ k1,
            p0 & _LOW32, (k0 + _PHILOX_W0) & _LOW32, (k1 + _PHILOX_W1) & _LOW32)


def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of the counter (c0..c3) under the key (k0, k1), 32-bit words."""
    c0, c1, c2, c3, k0, k1 = _philox_round(c0, c1, c2, c3, k0, k1)  # written out: a
    c0, c1, c2, c3, k0, k1 = _philox_round(c0, c1, c2, c3, k0, k1)  # loop left in the
    c0, c1, c2, c3, k0, k1 = _philox_round(c0, c1, c2, c3, k0, k1)  # body would keep the
    c0, c1, c2, c3, k0, k1 = _philox_round(c0, c1, c2, c3, k0, k1)  # compiler from
    c0, c1, c2, c3, k0, k1 = _philox_round(c0, c1, c2, c3, k0, k1)  # vectorising the
    c0, c1, c2, c3, k0, k1 = _philox_round(c0, c1, c2, c3, k0, k1)  # loop over members
    c0, c1, c2, c3, k0, k1 = _philox_round(c0, c1, c2, c3, k0, k1)
    c0, c1, c2, c3, k0, k1 = _philox_round(c0, c1, c2, c3, k0, k1)
    c0, c1, c2, c3, k0, k1 = _philox_round(c0, c1, c2, c3, k0, k1)
    c0, c1, c2, c3, _, _ = _philox_round(c0, c1, c2, c3, k0, k1)
    return c0, c1, c2, c3


def _scale_up(u, e, below, grow, bits):
    """(u 2^bits, e - bits) if u < below = 2^-bits, else (u, e): a select as arithmetic."""
    small = u < below
    return u * (1.0 + small * grow), e - small * bits


def _radius(high, low):
    """sqrt(-2 ln u) of the uniform u in (0, 1) that 53 bits of two 32-bit words give:
    u = 2^e x, x in [1/sqrt 2, sqrt 2), ln x = 2 atanh(s), s = (x - 1)/(x + 1),
    |s| < 0.172, by its series to s^21 (a few ulp)."""
    u, e = (((high << _SHIFT21) | (low >> _SHIFT11)) * 1.0 + 0.5) * 2.0 ** -53, 0.0
    u, e = _scale_up(u, e, 2.0 ** -32, 2.0 ** 32 - 1.0, 32.0)
    u, e = _scale_up(u, e, 2.0 ** -16, 2.0 ** 16 - 1.0, 16.0)
    u, e = _scale_up(u, e, 2.0 ** -8, 2.0 ** 8 - 1.0, 8.0)
    u, e = _scale_up(u, e, 2.0 ** -4, 2.0 ** 4 - 1.0, 4.0)
    u, e = _scale_up(u, e, 2.0 ** -2, 2.0 ** 2 - 1.0, 2.0)
    u, e = _scale_up(u, e, 0.5, 1.0, 1.0)
    u, e = _scale_up(u, e, 0.7071067811865476, 1.0, 1.0)
    s = (u - 1.0) / (u + 1.0)
    z = s * s
    a = _ATANH
    series = ((((((((((a[0] * z + a[1]) * z + a[2]) * z + a[3]) * z + a[4]) * z + a[5])
                   * z + a[6]) * z + a[7]) * z + a[8]) * z + a[9]) * z + a[10])
    return _sqrt(-2.0 * (e * _LN2_HI + (2.0 * s * series + e * _LN2_LO)))


def _turn(word):
    """(cos 2 pi v, sin 2 pi v) of the uniform v = word 2^-32 in [0, 1): the quadrant,
    then the Taylor series of cos and sin within pi/4 of its middle."""
    quarter = word * 1.0 * 2.0 ** -30
    q = np.floor(quarter)
    x = (quarter - q - 0.5) * _HALF_PI
    z = x * x
    a, b = _SIN, _COS
    sin_x = x * (((((((a[0] * z + a[1]) * z + a[2]) * z + a[3]) * z + a[4]) * z + a[5])
                  * z + a[6]) * z + a[7])
    cos_x = ((((((((b[0] * z + b[1]) * z + b[2]) * z + b[3]) * z + b[4]) * z + b[5])
               * z + b[6]) * z + b[7]) * z + b[8])
    cos_v = (cos_x - sin_x) * 0.7071067811865476  # at x + pi/4
    sin_v = (cos_x + sin_x) * 0.7071067811865476
    half = np.floor(q * 0.5)
    odd = q - 2.0 * half
    sign = 1.0 - 2.0 * half
    return sign * (cos_v * (1.0 - odd) - sin_v * odd), sign * (sin_v * (1.0 - odd) + cos_v * odd)


def normals(step, member, k0, k1):
    """Three independent N(0, 1) deviates for (step, member), both uint64, under the
    32-bit key (k0, k1): two Philox4x32-10 blocks, of the counters (step mod 2^32,
    member, 0 or 1, step / 2^32), and two Box-Muller pairs from 53-bit radius and 32-bit
    angle uniforms (the fourth deviate is not used). The radius uniform is never 0, so
    |z| < 8.7.

    Straight-line arithmetic (numba compiles it, numpy runs it on arrays, bit for bit
    alike): ln u and cos/sin 2 pi v are series rather than library calls and every loop
    unrolls, so the compiler can vectorise a loop over members."""
    low, high = step & _LOW32, step >> _SHIFT32
    a0, a1, a2, a3 = philox(low, member, _ZERO64, high, k0, k1)
    b0, b1, _, _ = philox(low, member, _ONE64, high, k0, k1)
    r1, r2 = _radius(a0, a1), _radius(a3, b0)
    cos_1, sin_1 = _turn(a2)
    cos_2, _ = _turn(b1)
    return r1 * cos_1, r1 * sin_1, r2 * cos_2


def _compiled_as_itself(helper):
    """Have numba compile ``helper`` from its own source wherever compiled code calls it
    (an overload whose implementation is the function itself), inlined."""
    @functools.wraps(helper)  # numba reads the typing signature through __wrapped__
    def typer(*_types):
        return helper

    overload(helper, inline="always")(typer)


if HAVE_NUMBA:
    for _helper in (_philox_round, philox, _scale_up, _radius, _turn):
        _compiled_as_itself(_helper)

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
def heun_members_outer(m, p, t0, dt, n_steps, noise, sigma_th, axis, threshold, t_cross,
                       track):
    """Stochastic Heun over an ensemble ``m`` (N, 3), one member after the other, with
    noise drawn beforehand, (n_steps, N, 3): the kernel before ``heun_ensemble``, kept as
    its reference (``_llg_reference``) and for the benchmark."""
    for i in range(m.shape[0]):
        _heun_member(m, i, p, t0, dt, n_steps, noise, sigma_th, axis, threshold, t_cross,
                     track)


_normals = njit(cache=True, inline="always", error_model="numpy",
                fastmath={"contract"})(normals)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def fill_normals(gx, gy, gz, step, k0, k1):
    """The noise of every member at one step: :func:`normals`, with multiply-adds fused
    (so it agrees with numpy's evaluation to a few ulp, not bit for bit)."""
    for i in range(gx.size):
        gx[i], gy[i], gz[i] = _normals(step, np.uint64(i), k0, k1)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def fill_normals_ahead(block, step, k0, k1):
    """The noise of ``block.shape[2]`` steps from ``step`` on, (xyz, member, step): for a
    few members the loop over steps is the one the compiler vectorises."""
    for i in range(block.shape[1]):
        for b in range(block.shape[2]):
            block[0, i, b], block[1, i, b], block[2, i, b] = _normals(
                step + np.uint64(b), np.uint64(i), k0, k1)


_AHEAD_BELOW = 8  # ensembles smaller than this draw their noise steps ahead
_AHEAD_STEPS = 32


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def heun_ensemble(mx, my, mz, p, t0, dt, n_steps, step0, key, sigma_th, noise, axis,
                  threshold, t_cross, active, track):
    """Stochastic Heun (Stratonovich) for members (mx, my, mz), members in the inner loop.

    Predictor and corrector share one noise draw, which makes it converge to the
    Stratonovich solution (Garcia-Palacios and Lazaro, PRB 58, 14937 (1998)). The noise of
    step k is :func:`normals` (step0 + k, member, key), unless ``noise`` (n_steps, N, 3)
    is given. With ``track``, store the first time m.axis drops below ``threshold``
    (interpolated within the step) and freeze the member there; return how many members
    are still active.
    """
    n = mx.size
    gx, gy, gz = np.zeros(n), np.zeros(n), np.zeros(n)
    ahead = np.empty((3, n if n < _AHEAD_BELOW else 0, _AHEAD_STEPS))
    c = _constants(p)
    hx0, hy0, hz0, tp = p[2], p[3], p[4], p[15]
    ax, ay, az = axis[0], axis[1], axis[2]
    half = 0.5 * dt
    k0, k1 = key[0], key[1]
    remaining = 0
    for i in range(n):
        remaining += active[i]
    for step in range(n_steps):
        if track and remaining == 0:
            break
        t = t0 + step * dt
        on_now, on_next = t < tp, t + dt < tp
        if sigma_th > 0.0:
            if noise.shape[0] > 0:
                for i in range(n):
                    gx[i], gy[i], gz[i] = noise[step, i, 0], noise[step, i, 1], noise[step, i, 2]
            elif n < _AHEAD_BELOW:
                b = step % _AHEAD_STEPS
                if b == 0:
                    fill_normals_ahead(ahead[:, :, :min(_AHEAD_STEPS, n_steps - step)],
                                       np.uint64(step0 + step), k0, k1)
                for i in range(n):
                    gx[i], gy[i], gz[i] = ahead[0, i, b], ahead[1, i, b], ahead[2, i, b]
            else:
                fill_normals(gx, gy, gz, np.uint64(step0 + step), k0, k1)
        if not track:
            for i in range(n):
                hx = hx0 + sigma_th * gx[i]
                hy = hy0 + sigma_th * gy[i]
                hz = hz0 + sigma_th * gz[i]
                x, y, z = mx[i], my[i], mz[i]
                f1x, f1y, f1z = _rhs(x, y, z, hx, hy, hz, on_now, c)
                f2x, f2y, f2z = _rhs(x + dt * f1x, y + dt * f1y, z + dt * f1z,
                                     hx, hy, hz, on_next, c)
                mx[i], my[i], mz[i] = _renormalise(x + half * (f1x + f2x), y + half * (f1y + f2y),
                                                   z + half * (f1z + f2z))
            continue
        crossed = 0
        for i in range(n):
            hx = hx0 + sigma_th * gx[i]
            hy = hy0 + sigma_th * gy[i]
            hz = hz0 + sigma_th * gz[i]
            x, y, z = mx[i], my[i], mz[i]
            f1x, f1y, f1z = _rhs(x, y, z, hx, hy, hz, on_now, c)
            f2x, f2y, f2z = _rhs(x + dt * f1x, y + dt * f1y, z + dt * f1z,
                                 hx, hy, hz, on_next, c)
            nx, ny, nz = _renormalise(x + half * (f1x + f2x), y + half * (f1y + f2y),
                                      z + half * (f1z + f2z))
            live = active[i]
            d_old = x * ax + y * ay + z * az
            d_new = nx * ax + ny * ay + nz * az
            now_crossed = live and d_new < threshold
            t_cross[i] = t + dt * (d_old - threshold) / (d_old - d_new) if now_crossed \
                else t_cross[i]
            active[i] = live and not now_crossed
            crossed += now_crossed
            mx[i] = nx if live else x
            my[i] = ny if live else y
            mz[i] = nz if live else z
        remaining -= crossed
    return remaining
