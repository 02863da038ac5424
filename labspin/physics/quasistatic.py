"""Quasi-static magnetisation: Stoner-Wohlfarth branches and torque balance with SOT.

On lab time scales (ms and up) the magnetisation sits where the total torque vanishes:
m parallel to B_tot(m) = B_app + B_K (m.u) u - B_demag m_z z + B_FL sigma + B_DL (m x
sigma). The damping-like term is not conservative, so this solves the torque balance
(Newton in the tangent plane of m, with a gradient fallback away from a minimum) rather
than minimising an energy; without current it is the Stoner-Wohlfarth minimum.

A *branch* is the equilibrium in the well around +u or -u; following one from field to
field and noticing when it vanishes reproduces the astroid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_Z = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class FieldTerms:
    """Everything that acts on m, as flux densities in tesla (sample frame)."""

    b_applied: np.ndarray
    b_anisotropy: float
    easy_axis: np.ndarray
    b_demag: float = 0.0
    b_dl: float = 0.0
    b_fl: float = 0.0
    sigma: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0, 0.0]))

    def total_field(self, m: np.ndarray) -> np.ndarray:
        u = self.easy_axis
        b = self.b_applied + self.b_anisotropy * float(m @ u) * u
        b = b - self.b_demag * m[2] * _Z
        if self.b_fl:
            b = b + self.b_fl * self.sigma
        if self.b_dl:
            b = b + self.b_dl * np.cross(m, self.sigma)
        return b

    @property
    def scale(self) -> float:
        """A field scale for tolerances, T."""
        return max(float(np.linalg.norm(self.b_applied)), self.b_anisotropy, self.b_demag,
                   1e-6)


@dataclass(frozen=True)
class Equilibrium:
    m: np.ndarray
    converged: bool
    stable: bool
    iterations: int


def _basis(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.array([1.0, 0.0, 0.0]) if abs(m[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = a - (a @ m) * m
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(m, e1)


def _residual(terms: FieldTerms, m: np.ndarray, e1: np.ndarray, e2: np.ndarray) -> np.ndarray:
    b = terms.total_field(m)
    bt = b - (b @ m) * m
    return np.array([bt @ e1, bt @ e2])


def _moved(m: np.ndarray, e1: np.ndarray, e2: np.ndarray, a: float, b: float) -> np.ndarray:
    v = m + a * e1 + b * e2
    return v / np.linalg.norm(v)


def _jacobian(terms: FieldTerms, m: np.ndarray, e1: np.ndarray, e2: np.ndarray,
              h: float = 1e-6) -> np.ndarray:
    jac = np.empty((2, 2))
    for k, (da, db) in enumerate(((h, 0.0), (0.0, h))):
        plus = _residual(terms, _moved(m, e1, e2, da, db), e1, e2)
        minus = _residual(terms, _moved(m, e1, e2, -da, -db), e1, e2)
        jac[:, k] = (plus - minus) / (2 * h)
    return jac


def _is_stable(jac: np.ndarray) -> bool:
    # The overdamped flow moves m along the tangential field: a stable equilibrium has a
    # Jacobian of that field with eigenvalues of negative real part.
    return bool(np.all(np.linalg.eigvals(jac).real < 0))


def _packed(terms: FieldTerms) -> np.ndarray:
    """The field terms as the kernel's flat array (``_quasistatic_kernels._field``)."""
    return np.concatenate([np.asarray(terms.b_applied, dtype=float), [terms.b_anisotropy],
                           np.asarray(terms.easy_axis, dtype=float),
                           [terms.b_demag, terms.b_dl, terms.b_fl],
                           np.asarray(terms.sigma, dtype=float)])


def equilibrium(terms: FieldTerms, m_start: np.ndarray, tol: float = 1e-11,
                max_iterations: int = 200) -> Equilibrium:
    """The stable equilibrium reached from ``m_start`` (the local well it lies in).

    Runs the compiled kernel of :func:`equilibrium_reference` (the same algorithm)."""
    from labspin.physics._quasistatic_kernels import solve

    m, converged, stable, iterations = solve(_packed(terms),
                                             np.asarray(m_start, dtype=float), tol,
                                             max_iterations)
    return Equilibrium(m, bool(converged), bool(stable), int(iterations))


def equilibrium_reference(terms: FieldTerms, m_start: np.ndarray, tol: float = 1e-11,
                          max_iterations: int = 200) -> Equilibrium:
    """The stable equilibrium reached from ``m_start`` (the local well it lies in), in
    numpy: the reference the compiled :func:`equilibrium` is tested against."""
    m = np.asarray(m_start, dtype=float)
    m = m / np.linalg.norm(m)
    scale = terms.scale
    for it in range(1, max_iterations + 1):
        e1, e2 = _basis(m)
        r = _residual(terms, m, e1, e2)
        jac = _jacobian(terms, m, e1, e2)
        stable = _is_stable(jac)
        if np.linalg.norm(r) < tol * scale and stable:
            return Equilibrium(m, True, True, it)
        step = None
        if stable:
            try:
                step = -np.linalg.solve(jac, r)
            except np.linalg.LinAlgError:
                step = None
        if step is None:
            # Not in a well: leave along the most unstable direction of the flow, in the
            # sense the tangential field pushes (off a saddle or maximum if r is tiny).
            w, v = np.linalg.eig(jac)
            direction = np.real(v[:, int(np.argmax(w.real))])
            if direction @ r < 0:
                direction = -direction
            step = 0.05 * direction
        norm = np.linalg.norm(step)
        if norm > 0.3:
            step *= 0.3 / norm
        m = _moved(m, e1, e2, float(step[0]), float(step[1]))
    e1, e2 = _basis(m)
    jac = _jacobian(terms, m, e1, e2)
    converged = bool(np.linalg.norm(_residual(terms, m, e1, e2)) < 1e3 * tol * scale)
    return Equilibrium(m, converged, _is_stable(jac), max_iterations)


def branch(terms: FieldTerms, state: int, m_previous: np.ndarray | None = None) -> Equilibrium:
    """Equilibrium on the branch of ``state`` (+1: well around +u, -1: around -u).

    Starts from the branch's previous point when given. If the result has left the well
    (sign of m.u differs from ``state``), the branch no longer exists at these fields.
    """
    start = m_previous if m_previous is not None else state * terms.easy_axis
    return equilibrium(terms, start)


def stoner_wohlfarth_loop(b_k: float, psi: float, fields: np.ndarray,
                          b_demag: float = 0.0) -> np.ndarray:
    """Zero-temperature hysteresis m.u of a uniaxial macrospin for a field sweep at angle
    ``psi`` from the easy axis (in the easy plane), starting on the +u branch."""
    u = np.array([0.0, 1.0, 0.0])
    hard = np.array([1.0, 0.0, 0.0])
    direction = np.cos(psi) * u + np.sin(psi) * hard
    m = u.copy()
    out = np.empty(len(fields))
    for k, b in enumerate(fields):
        terms = FieldTerms(b_applied=b * direction, b_anisotropy=b_k, easy_axis=u,
                           b_demag=b_demag)
        m = equilibrium(terms, m).m
        out[k] = m @ u
    return out
