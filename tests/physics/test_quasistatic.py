"""Quasi-static branches against the Stoner-Wohlfarth limits."""

import numpy as np
import pytest

from labspin.physics.formulas import stoner_wohlfarth_switching_field
from labspin.physics.quasistatic import FieldTerms, equilibrium, stoner_wohlfarth_loop

B_K = 0.01


@pytest.mark.parametrize("psi", [0.05, 0.3, np.pi / 4, 1.0, 1.4])
def test_branch_vanishes_on_the_astroid(psi):
    fields = np.linspace(0, -1.5 * B_K, 3001)
    m_u = stoner_wohlfarth_loop(B_K, psi, fields)
    switched_at = -fields[np.argmax(m_u < 0)]
    step = fields[0] - fields[1]
    assert switched_at == pytest.approx(stoner_wohlfarth_switching_field(B_K, psi), abs=step)


def test_in_plane_loop_is_unaffected_by_easy_plane_demag():
    fields = np.linspace(0, -1.5 * B_K, 1501)
    plain = stoner_wohlfarth_loop(B_K, 0.5, fields)
    thin_film = stoner_wohlfarth_loop(B_K, 0.5, fields, b_demag=1.0)
    np.testing.assert_allclose(plain, thin_film, atol=1e-6)


def test_hard_axis_field_tilts_linearly_below_b_k():
    u = np.array([0.0, 1.0, 0.0])
    for b in (0.2 * B_K, 0.6 * B_K):
        terms = FieldTerms(b_applied=np.array([b, 0.0, 0.0]), b_anisotropy=B_K, easy_axis=u)
        m = equilibrium(terms, u).m
        assert m[0] == pytest.approx(b / B_K, rel=1e-8)
    terms = FieldTerms(b_applied=np.array([2 * B_K, 0.0, 0.0]), b_anisotropy=B_K, easy_axis=u)
    assert equilibrium(terms, u).m[0] == pytest.approx(1.0, abs=1e-8)


def test_perpendicular_field_on_an_in_plane_film_is_opposed_by_demag():
    u = np.array([0.0, 1.0, 0.0])
    b_z = 0.1
    terms = FieldTerms(b_applied=np.array([0, 0, b_z]), b_anisotropy=B_K, easy_axis=u,
                       b_demag=1.0)
    m = equilibrium(terms, u).m
    assert m[2] == pytest.approx(b_z / (1.0 + B_K), rel=1e-6)


def test_damping_like_field_tilts_m_out_of_plane_as_torque_balance_requires():
    # easy axis x (perpendicular to sigma = y): B_DL (m x sigma) ~ B_DL z for m = x,
    # balanced by the out-of-plane stiffness B_K + B_demag.
    u = np.array([1.0, 0.0, 0.0])
    b_dl = 1e-4
    terms = FieldTerms(b_applied=np.zeros(3), b_anisotropy=B_K, easy_axis=u, b_demag=0.5,
                       b_dl=b_dl)
    m = equilibrium(terms, u).m
    assert m[2] == pytest.approx(b_dl / (B_K + 0.5), rel=1e-3)


def test_compiled_solver_matches_the_numpy_reference():
    """Random fields, anisotropies, torques and starts (wells, saddles, maxima): the
    compiled equilibrium is the reference's, to rounding."""
    from labspin.physics.quasistatic import equilibrium_reference

    rng = np.random.default_rng(7)
    agree = 0
    for _ in range(100):
        u = rng.normal(size=3)
        terms = FieldTerms(b_applied=rng.normal(scale=0.05, size=3),
                           b_anisotropy=float(rng.uniform(0.005, 0.1)),
                           easy_axis=u / np.linalg.norm(u),
                           b_demag=float(rng.choice([0.0, 0.8])),
                           b_dl=float(rng.normal(scale=0.01)), b_fl=float(rng.normal(scale=0.005)))
        start = rng.normal(size=3)
        fast, slow = equilibrium(terms, start), equilibrium_reference(terms, start)
        assert (fast.converged, fast.stable) == (slow.converged, slow.stable)
        assert np.allclose(fast.m, slow.m, atol=1e-9)
        agree += fast.iterations == slow.iterations
    assert agree >= 97  # the same path, step by step (rare ties of rounding aside)
