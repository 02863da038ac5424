"""The stochastic Heun integration as it ran before the members-inner kernel: the
reference the compiled ensemble is held to, and the "before" of ``bench_llg``.

``integrate_heun_reference`` draws the thermal field with numpy (block by block, on a
helper thread, as the old driver did) and runs ``_llg_kernels.heun_members_outer``, one
member after the other. Given the same noise (``noise_of``), ``heun_ensemble`` follows
the same trajectories to rounding: ``tests/physics/test_llg_ensemble.py``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from labspin.physics import _llg_kernels as _k
from labspin.physics.formulas import thermal_field_sigma
from labspin.physics.llg import MacrospinProblem, _members, _pack, noise_key

_NOISE_BLOCK = 1 << 17  # numbers drawn per block, as before


def noise_of(seed: int, n_steps: int, n_members: int) -> np.ndarray:
    """The standard normal noise (n_steps, N, 3) that ``llg.integrate_heun`` uses for
    ``seed``, evaluated in numpy (``_llg_kernels.normals``)."""
    key = noise_key(seed)
    members = np.arange(n_members, dtype=np.uint64)
    out = np.empty((n_steps, n_members, 3))
    with np.errstate(over="ignore"):
        for step in range(n_steps):
            out[step] = np.stack(_k.normals(np.uint64(step), members, key[0], key[1]), axis=1)
    return out


def integrate_heun_reference(problem: MacrospinProblem, m0: np.ndarray, dt: float,
                             n_steps: int, seed: int | None = None,
                             noise: np.ndarray | None = None) -> np.ndarray:
    """Final states after ``n_steps`` of the members-outer Heun kernel, with numpy's
    ``default_rng(seed)`` noise drawn on a helper thread (the old driver), or with the
    given standard normal ``noise`` (n_steps, N, 3)."""
    m, single = _members(m0)
    n_members = m.shape[0]
    p = _pack(problem)
    sigma_th = 0.0
    if problem.temperature > 0:
        sigma_th = float(thermal_field_sigma(problem.alpha, problem.temperature, problem.ms,
                                             problem.volume, dt, gamma=problem.gamma))
    axis, t_cross = np.zeros(3), np.full(n_members, np.inf)
    if noise is not None:
        _k.heun_members_outer(m, p, 0.0, dt, n_steps, np.ascontiguousarray(noise), sigma_th,
                              axis, 0.0, t_cross, False)
        return m[0] if single else m
    rng = np.random.default_rng(seed)
    per_block = max(1, _NOISE_BLOCK // (3 * n_members))
    lengths = [min(per_block, n_steps - k) for k in range(0, n_steps, per_block)]
    buffers = (np.empty(per_block * n_members * 3), np.empty(per_block * n_members * 3))

    def draw(k: int) -> np.ndarray:
        block = buffers[k % 2][: lengths[k] * n_members * 3]
        rng.standard_normal(out=block)
        return block.reshape(-1, n_members, 3)

    done = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(draw, 0) if lengths else None
        for k, n in enumerate(lengths):
            block = pending.result()
            if k + 1 < len(lengths):
                pending = pool.submit(draw, k + 1)
            _k.heun_members_outer(m, p, done * dt, dt, n, block, sigma_th, axis, 0.0,
                                  t_cross, False)
            done += n
    return m[0] if single else m
