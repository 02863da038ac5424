"""Macrospin Landau-Lifshitz-Gilbert dynamics with spin-orbit torques, for pulses < ~50 ns.

Gilbert equation, fields as flux densities B = mu0 H in tesla (PHYSICS.md, "Dynamics"):

    dm/dt = -gamma m x B_eff + alpha m x dm/dt - gamma B_DL m x (m x sigma)
            - gamma B_FL m x sigma,
    B_eff = B_app + B_K (m.u) u - B_demag m_z z + B_th.

Deterministic runs use classical RK4; thermal ensembles use stochastic Heun
(Stratonovich) with Brown's thermal field, each component Gaussian with variance
2 alpha k_B T / (gamma M_s V dt) (W. F. Brown, Phys. Rev. 130, 1677 (1963)). The loops
are compiled with numba (``_llg_kernels``); a numpy path runs the same formulas for tiny
problems, where loading the compiled code would cost more than it saves, or when numba
is missing. The thermal noise of member i at step k is a pure function of (seed, k, i)
(``_llg_kernels.normals``): a seeded run gives the same numbers on either backend, for
any ensemble size, on one thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np

from labspin.physics import _llg_kernels as _k
from labspin.physics.constants import GAMMA
from labspin.physics.formulas import thermal_field_sigma

Backend = Literal["auto", "numba", "numpy"]
Vector = tuple[float, float, float]

#: Below this many member-steps the numpy path is faster than loading compiled code.
NUMPY_MAX_MEMBER_STEPS = 500
#: Deterministic ensembles at least this large run on all cores (2x measured from N=4).
PARALLEL_MIN_MEMBERS = 8
_NO_NOISE = np.empty((0, 0, 3))  # heun_ensemble draws its own


class MacrospinParameterError(ValueError):
    """A macrospin parameter or integration argument is outside its physical range."""


@dataclass(frozen=True)
class MacrospinProblem:
    """Parameters of one macrospin: fields in tesla (B = mu0 H), SI elsewhere.

    ``b_dl``/``b_fl`` act for 0 <= t < ``pulse_width`` and are zero afterwards. ``ms``
    (A/m) and ``volume`` (m^3) only enter the thermal field, needed when temperature > 0.
    """

    alpha: float
    b_applied: Vector = (0.0, 0.0, 0.0)
    b_anisotropy: float = 0.0
    easy_axis: Vector = (0.0, 1.0, 0.0)
    b_demag: float = 0.0
    b_dl: float = 0.0
    b_fl: float = 0.0
    sigma: Vector = (0.0, 1.0, 0.0)
    temperature: float = 0.0
    ms: float = 0.0
    volume: float = 0.0
    pulse_width: float = math.inf
    gamma: float = GAMMA

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("b_applied", "easy_axis", "sigma"):
                vec = np.asarray(value, dtype=float)
                if vec.shape != (3,) or not np.all(np.isfinite(vec)):
                    raise MacrospinParameterError(
                        f"MacrospinProblem.{f.name} must be 3 finite numbers, got {value!r}")
                object.__setattr__(self, f.name, tuple(float(v) for v in vec))
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise MacrospinParameterError(
                    f"MacrospinProblem.{f.name} must be a number, got {value!r}") from None
            if math.isnan(number) or (math.isinf(number) and f.name != "pulse_width"):
                raise MacrospinParameterError(
                    f"MacrospinProblem.{f.name} must be finite, got {value!r}")
            object.__setattr__(self, f.name, number)
        for name in ("easy_axis", "sigma"):
            norm = math.sqrt(sum(v * v for v in getattr(self, name)))
            if abs(norm - 1.0) > 1e-6:
                raise MacrospinParameterError(
                    f"MacrospinProblem.{name} must be a unit vector, its norm is {norm:.6g}")
        positive = {"alpha": "Gilbert damping", "gamma": "gyromagnetic ratio, rad/(s T)",
                    "pulse_width": "pulse width, s"}
        for name, meaning in positive.items():
            if not getattr(self, name) > 0:
                raise MacrospinParameterError(
                    f"MacrospinProblem.{name} ({meaning}) must be > 0, got {getattr(self, name)}")
        for name in ("temperature", "ms", "volume"):
            if getattr(self, name) < 0:
                raise MacrospinParameterError(
                    f"MacrospinProblem.{name} must be >= 0, got {getattr(self, name)}")
        if self.temperature > 0:
            for name in ("ms", "volume"):
                if not getattr(self, name) > 0:
                    raise MacrospinParameterError(
                        f"MacrospinProblem.{name} must be > 0 when temperature > 0: the "
                        "thermal field scales as 1/sqrt(ms volume)")


@dataclass(frozen=True)
class Trajectory:
    """Recorded run: ``m`` at ``times`` (s) and the ``final`` state of every member.

    From :func:`integrate_rk4`, ``m`` is (n_records, 3) for one spin or
    (n_records, N, 3) for an ensemble; from :func:`integrate_heun` it is the ensemble
    mean, (n_records, 3), which keeps memory bounded for large ensembles.
    """

    times: np.ndarray
    m: np.ndarray
    final: np.ndarray


def _pack(problem: MacrospinProblem) -> np.ndarray:
    a = problem.alpha
    return np.array([problem.gamma / (1 + a * a), a, *problem.b_applied, problem.b_anisotropy,
                     *problem.easy_axis, problem.b_demag, problem.b_dl, problem.b_fl,
                     *problem.sigma, min(problem.pulse_width, 1e300)])


def _members(m0: np.ndarray | list) -> tuple[np.ndarray, bool]:
    """Copy m0 as normalised (N, 3) float64; also say whether it was a single (3,)."""
    m = np.array(m0, dtype=np.float64)
    single = m.shape == (3,)
    m = np.atleast_2d(m)
    if m.ndim != 2 or m.shape[1] != 3 or m.shape[0] == 0:
        raise MacrospinParameterError(f"m0 must have shape (3,) or (N, 3), got {m.shape}")
    norm = np.linalg.norm(m, axis=1, keepdims=True)
    if not np.all(np.isfinite(m)) or np.any(norm == 0):
        raise MacrospinParameterError("m0 must be finite and non-zero")
    return np.ascontiguousarray(m / norm), single


def _check_steps(dt: float, n_steps: int, record_every: int) -> None:
    if not (math.isfinite(dt) and dt > 0):
        raise MacrospinParameterError(f"dt must be a finite time step > 0 s, got {dt}")
    for name, value in (("n_steps", n_steps), ("record_every", record_every)):
        if int(value) != value or value < 0:
            raise MacrospinParameterError(f"{name} must be an integer >= 0, got {value}")


def _use_numba(backend: Backend, work: int) -> bool:
    if backend == "numpy":
        return False
    if backend == "numba":
        if not _k.HAVE_NUMBA:
            raise MacrospinParameterError("backend='numba' requested but numba is not installed")
        return True
    if backend != "auto":
        raise MacrospinParameterError(
            f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
    return _k.HAVE_NUMBA and work > NUMPY_MAX_MEMBER_STEPS


def _renormalise_np(mx, my, mz):
    n2 = mx * mx + my * my + mz * mz
    inv = np.where(np.abs(n2 - 1.0) < 1e-6, 1.5 - 0.5 * n2, 1.0 / np.sqrt(n2))
    return mx * inv, my * inv, mz * inv


def _rk4_numpy(m, traj, p, t0, dt, n_steps, record_every):
    """Vectorised twin of ``_llg_kernels._rk4_member`` (same formula, same order)."""
    c = _k.constants(p)
    hx, hy, hz, tp = p[2], p[3], p[4], p[15]
    mx, my, mz = m[:, 0].copy(), m[:, 1].copy(), m[:, 2].copy()
    half, sixth = 0.5 * dt, dt / 6.0
    if record_every > 0:
        traj[0] = m
    for step in range(n_steps):
        t = t0 + step * dt
        k1 = _k.rhs(mx, my, mz, hx, hy, hz, t < tp, c)
        k2 = _k.rhs(mx + half * k1[0], my + half * k1[1], mz + half * k1[2], hx, hy, hz,
                    t + half < tp, c)
        k3 = _k.rhs(mx + half * k2[0], my + half * k2[1], mz + half * k2[2], hx, hy, hz,
                    t + half < tp, c)
        k4 = _k.rhs(mx + dt * k3[0], my + dt * k3[1], mz + dt * k3[2], hx, hy, hz,
                    t + dt < tp, c)
        mx, my, mz = _renormalise_np(
            *(mi + sixth * (a + 2.0 * b + 2.0 * cc + d)
              for mi, a, b, cc, d in zip((mx, my, mz), k1, k2, k3, k4, strict=True)))
        if record_every > 0 and (step + 1) % record_every == 0:
            traj[(step + 1) // record_every] = np.stack((mx, my, mz), axis=1)
    m[:, 0], m[:, 1], m[:, 2] = mx, my, mz


def _heun_numpy(mx, my, mz, p, t0, dt, n_steps, step0, key, sigma_th, noise, axis,
                threshold, t_cross, active, track):
    """Vectorised twin of ``_llg_kernels.heun_ensemble`` (same formulas, same noise)."""
    c = _k.constants(p)
    tp = p[15]
    members = np.arange(mx.size, dtype=np.uint64)
    half = 0.5 * dt
    for step in range(n_steps):
        if track and not active.any():
            break
        t = t0 + step * dt
        hx, hy, hz = p[2], p[3], p[4]
        if sigma_th > 0.0:
            with np.errstate(over="ignore"):  # Philox arithmetic wraps modulo 2^64
                g = _k.normals(np.uint64(step0 + step), members, key[0], key[1])
            hx, hy, hz = (p[2 + j] + sigma_th * g[j] for j in range(3))
        f1 = _k.rhs(mx, my, mz, hx, hy, hz, t < tp, c)
        f2 = _k.rhs(mx + dt * f1[0], my + dt * f1[1], mz + dt * f1[2], hx, hy, hz,
                    t + dt < tp, c)
        nx, ny, nz = _renormalise_np(mx + half * (f1[0] + f2[0]), my + half * (f1[1] + f2[1]),
                                     mz + half * (f1[2] + f2[2]))
        if track:
            d_old = mx * axis[0] + my * axis[1] + mz * axis[2]
            d_new = nx * axis[0] + ny * axis[1] + nz * axis[2]
            crossed = np.flatnonzero(active & (d_new < threshold))
            t_cross[crossed] = t + dt * ((d_old[crossed] - threshold)
                                         / (d_old[crossed] - d_new[crossed]))
            nx, ny, nz = (np.where(active, new, old)
                          for new, old in zip((nx, ny, nz), (mx, my, mz), strict=True))
            active[crossed] = False
        mx[:], my[:], mz[:] = nx, ny, nz
    return int(np.count_nonzero(active))


def integrate_rk4(problem: MacrospinProblem, m0: np.ndarray, dt: float, n_steps: int,
                  record_every: int = 0, *, t0: float = 0.0,
                  backend: Backend = "auto") -> np.ndarray | Trajectory:
    """Deterministic RK4 from ``m0`` ((3,) or an ensemble (N, 3)) for ``n_steps`` of ``dt``.

    m is renormalised after each step. Returns the final m with the shape of ``m0``, or,
    with ``record_every > 0``, a :class:`Trajectory` of every ``record_every``-th step
    including t0. ``t0`` is the time of ``m0`` on the pulse clock.
    """
    if problem.temperature > 0:
        raise MacrospinParameterError(
            "integrate_rk4 is deterministic: MacrospinProblem.temperature must be 0, got "
            f"{problem.temperature} K; use integrate_heun for thermal runs")
    _check_steps(dt, n_steps, record_every)
    m, single = _members(m0)
    n_members = m.shape[0]
    n_records = n_steps // record_every + 1 if record_every else 0
    traj = np.empty((n_records, n_members, 3))
    p = _pack(problem)
    if _use_numba(backend, n_members * n_steps):
        kernel = _k.rk4_parallel if n_members >= PARALLEL_MIN_MEMBERS else _k.rk4_serial
        kernel(m, traj, p, float(t0), float(dt), int(n_steps), int(record_every))
    else:
        _rk4_numpy(m, traj, p, float(t0), float(dt), int(n_steps), int(record_every))
    final = m[0] if single else m
    if not record_every:
        return final
    times = t0 + dt * record_every * np.arange(n_records)
    return Trajectory(times=times, m=traj[:, 0] if single else traj, final=final)


def _block_lengths(n_steps: int, record_every: int) -> list[int]:
    """Steps per kernel call: up to the next record point, or all of them."""
    if not record_every:
        return [n_steps] if n_steps else []
    lengths, done = [], 0
    while done < n_steps:
        n = min(record_every - done % record_every, n_steps - done)
        lengths.append(n)
        done += n
    return lengths


def noise_key(seed: int) -> np.ndarray:
    """The Philox key of a seed (two 32-bit words, as uint64), through numpy's
    SeedSequence."""
    return np.random.SeedSequence(seed).generate_state(2, dtype=np.uint32).astype(np.uint64)


def _heun_drive(problem, m, dt, n_steps, seed, record_every, t0, backend, axis=None,
                threshold=0.0, track=False):
    """Run the Heun kernel from record point to record point, on one thread.

    The noise of member i at step k depends on (seed, k, i) only, so results do not
    depend on the record interval, the ensemble size or the backend.
    """
    _check_steps(dt, n_steps, record_every)
    n_members = m.shape[0]
    p = _pack(problem)
    sigma_th = 0.0
    if problem.temperature > 0:
        sigma_th = float(thermal_field_sigma(problem.alpha, problem.temperature, problem.ms,
                                             problem.volume, dt, gamma=problem.gamma))
    key = noise_key(seed)
    kernel = _k.heun_ensemble if _use_numba(backend, n_members * n_steps) else _heun_numpy
    axis = np.zeros(3) if axis is None else axis
    t_cross = np.full(n_members, np.inf)
    active = np.ones(n_members, dtype=bool)
    mx, my, mz = (np.ascontiguousarray(m[:, j]) for j in range(3))
    means = [m.mean(axis=0)] if record_every else []
    done = 0
    for n in _block_lengths(int(n_steps), int(record_every)):
        remaining = kernel(mx, my, mz, p, t0 + done * dt, dt, n, done, key, sigma_th,
                           _NO_NOISE, axis, float(threshold), t_cross, active, track)
        done += n
        if record_every and done % record_every == 0:
            means.append(np.stack((mx, my, mz), axis=1).mean(axis=0))
        if track and remaining == 0:
            break
    m[:, 0], m[:, 1], m[:, 2] = mx, my, mz
    return means, t_cross


def integrate_heun(problem: MacrospinProblem, m0: np.ndarray, dt: float, n_steps: int,
                   seed: int, record_every: int = 0, *, t0: float = 0.0,
                   backend: Backend = "auto") -> np.ndarray | Trajectory:
    """Stochastic Heun (Stratonovich) for an ensemble ``m0`` (N, 3) at ``problem.temperature``.

    Seeded: the same seed gives the same result bit for bit, whatever the ensemble size
    or record interval (member i's noise depends on the seed, the step and i only); the
    numba and numpy backends draw the same noise and agree to rounding. Returns the
    final states with the shape of ``m0``, or with ``record_every > 0`` a
    :class:`Trajectory` of the ensemble mean. At zero temperature
    this is plain (second-order) Heun.
    """
    m, single = _members(m0)
    means, _ = _heun_drive(problem, m, dt, n_steps, seed, record_every, float(t0), backend)
    final = m[0] if single else m
    if not record_every:
        return final
    times = t0 + dt * record_every * np.arange(len(means))
    return Trajectory(times=times, m=np.array(means), final=final)


def _axis_vector(axis: str | np.ndarray) -> np.ndarray:
    if isinstance(axis, str) and axis in ("x", "y", "z"):
        return np.eye(3)["xyz".index(axis)]
    vec = np.asarray(axis, dtype=float) if not isinstance(axis, str) else np.zeros(0)
    norm = np.linalg.norm(vec) if vec.shape == (3,) else 0.0
    if not (np.isfinite(norm) and norm > 0):
        raise MacrospinParameterError(f"axis must be 'x', 'y', 'z' or a 3-vector, got {axis!r}")
    return vec / norm


def first_passage_times(problem: MacrospinProblem, m0: np.ndarray, dt: float, max_steps: int,
                        seed: int, axis: str | np.ndarray, threshold: float = 0.0, *,
                        backend: Backend = "auto") -> np.ndarray:
    """First time (s) each member's m.axis drops below ``threshold``; np.inf if it never
    does within ``max_steps``. Members stop once they cross, so escape-time ensembles
    cost only the time actually spent in the well. Every member must start above it.
    """
    m, _ = _members(m0)
    axis_vec = _axis_vector(axis)
    if np.any(m @ axis_vec <= threshold):
        raise MacrospinParameterError("every member of m0 must start with m.axis > threshold")
    _, t_cross = _heun_drive(problem, m, dt, max_steps, seed, 0, 0.0, backend, axis_vec,
                             float(threshold), True)
    return t_cross


def switching_probability_llg(problem: MacrospinProblem, m0: np.ndarray, dt: float,
                              n_steps: int, seed: int, axis: str | np.ndarray, *,
                              backend: Backend = "auto") -> float:
    """Fraction of members that end with m.axis < 0 after ``n_steps``.

    Set ``problem.pulse_width`` shorter than ``n_steps * dt`` so the members relax after
    the pulse and the count reads settled states.
    """
    axis_vec = _axis_vector(axis)
    final = np.atleast_2d(integrate_heun(problem, m0, dt, n_steps, seed, backend=backend))
    return float(np.mean(final @ axis_vec < 0))
