"""Closed forms of in-plane ferromagnetic resonance, shared by the ST-FMR model and fits.

An in-plane film (demagnetising term mu0 M_eff along z) with a uniaxial in-plane
anisotropy B_K along y (the easy axis of labspin's in-plane presets; B_K < 0 puts the
easy axis along x), in an in-plane field B at angle phi_H from x (the current). The
magnetisation sits at phi, where the in-plane torque vanishes,

    B sin(phi_H - phi) + (B_K / 2) sin 2 phi = 0,

and small deviations see two stiffness fields (Smit and Beljers): in the plane
B_1 = B cos(phi - phi_H) - B_K cos 2 phi, out of it
B_2 = B cos(phi - phi_H) + M_eff + B_K sin^2 phi for an easy y axis and
B_2 = B cos(phi - phi_H) + M_eff + |B_K| cos^2 phi for an easy x axis (a uniaxial axis
along x, as the bench's magnet has it, also pulls m back into the plane). The resonance
(Kittel) is
f = (gamma / 2 pi) sqrt(B_1 B_2); with B_K = 0 it is the textbook
f = (gamma / 2 pi) sqrt(B (B + M_eff)).

Swept in field at fixed f, the line has the half width (HWHM)
Delta B = kappa (alpha 2 pi f / gamma + Gamma), kappa = (B_1 + B_2) / d(B_1 B_2)/dB:
kappa = 1 when m follows the field (B_K = 0), and departs from it when the anisotropy
turns m away from the field. Gamma is the inhomogeneous broadening along m (a Cauchy
spread of local fields adds its width to the homogeneous one exactly).

Everything here is numpy and broadcasts; fields in tesla, angles in radians.
"""

from __future__ import annotations

import numpy as np

from labspin.physics.constants import E_CHARGE, GAMMA, HBAR, MU0

ArrayLike = float | np.ndarray
#: gamma / 2 pi, Hz/T (labspin's one gyromagnetic ratio, g = 2.0023)
GAMMA_HZ = GAMMA / (2 * np.pi)


def equilibrium_angle(b: ArrayLike, field_angle: ArrayLike, b_k: ArrayLike = 0.0,
                      iterations: int = 40) -> np.ndarray:
    """In-plane angle phi of m (rad) for a field B at ``field_angle``: Newton from the
    field direction. The solution is unique once B exceeds |B_K|."""
    b, phi_h, b_k = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                          for v in (b, field_angle, b_k)))
    phi = phi_h.copy()
    for _ in range(iterations):
        torque = b * np.sin(phi_h - phi) + 0.5 * b_k * np.sin(2 * phi)
        slope = -b * np.cos(phi_h - phi) + b_k * np.cos(2 * phi)
        step = np.where(slope != 0, torque / np.where(slope != 0, slope, 1.0), 0.0)
        phi = phi - np.clip(step, -0.3, 0.3)
        if np.all(np.abs(step) < 1e-14):
            break
    return phi


def stiffness_fields(b: ArrayLike, field_angle: ArrayLike, m_eff: ArrayLike,
                     b_k: ArrayLike = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B_1, B_2, phi): in-plane and out-of-plane stiffness fields (T) and the angle of m."""
    phi = equilibrium_angle(b, field_angle, b_k)
    along = np.asarray(b) * np.cos(phi - np.asarray(field_angle))
    b_1 = along - np.asarray(b_k) * np.cos(2 * phi)
    b_k = np.asarray(b_k, dtype=float)
    # out of the plane the easy axis pulls m back by |B_K| times m's squared projection on
    # it: sin^2 phi for easy y, cos^2 phi for easy x (B_K sin^2 phi there is |B_K| low)
    pull = np.where(b_k >= 0, b_k * np.sin(phi) ** 2, -b_k * np.cos(phi) ** 2)
    b_2 = along + np.asarray(m_eff) + pull
    return b_1, b_2, phi


def kittel_frequency(b: ArrayLike, field_angle: ArrayLike, m_eff: ArrayLike,
                     b_k: ArrayLike = 0.0) -> np.ndarray:
    """Resonance frequency (Hz) at field B: (gamma / 2 pi) sqrt(B_1 B_2)."""
    b_1, b_2, _ = stiffness_fields(b, field_angle, m_eff, b_k)
    return GAMMA_HZ * np.sqrt(np.clip(b_1 * b_2, 0.0, None))


def resonance_field(frequency: ArrayLike, field_angle: ArrayLike, m_eff: ArrayLike,
                    b_k: ArrayLike = 0.0, iterations: int = 60) -> np.ndarray:
    """Field (T) at which ``frequency`` resonates: Kittel inverted by Newton, starting
    from the isotropic B_r = (sqrt(M_eff^2 + 4 (f / gamma')^2) - M_eff) / 2."""
    f, phi_h, m, k = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                           for v in (frequency, field_angle, m_eff, b_k)))
    w = f / GAMMA_HZ
    b = 0.5 * (np.sqrt(m * m + 4 * w * w) - m) + np.abs(k)
    target = w * w
    for _ in range(iterations):
        b_1, b_2, _ = stiffness_fields(b, phi_h, m, k)
        h = 1e-7 + 1e-6 * b
        b_1p, b_2p, _ = stiffness_fields(b + h, phi_h, m, k)
        slope = (b_1p * b_2p - b_1 * b_2) / h
        step = (b_1 * b_2 - target) / np.where(slope > 0, slope, 1.0)
        b = np.maximum(b - step, 0.5 * b)
        if np.all(np.abs(step) < 1e-13):
            break
    return b


def linewidth_factor(b: ArrayLike, field_angle: ArrayLike, m_eff: ArrayLike,
                     b_k: ArrayLike = 0.0) -> np.ndarray:
    """kappa = (B_1 + B_2) / (d(B_1 B_2)/dB) at fixed field angle: 1 without anisotropy."""
    b = np.asarray(b, dtype=float)
    h = 1e-6 + 1e-5 * np.abs(b)
    b_1p, b_2p, _ = stiffness_fields(b + h, field_angle, m_eff, b_k)
    b_1m, b_2m, _ = stiffness_fields(b - h, field_angle, m_eff, b_k)
    b_1, b_2, _ = stiffness_fields(b, field_angle, m_eff, b_k)
    slope = (b_1p * b_2p - b_1m * b_2m) / (2 * h)
    return (b_1 + b_2) / slope


def field_linewidth(frequency: ArrayLike, alpha: ArrayLike, inhomogeneous: ArrayLike = 0.0,
                    kappa: ArrayLike = 1.0) -> np.ndarray:
    """Half width at half maximum in field (T): kappa (alpha 2 pi f / gamma + Gamma)."""
    return np.asarray(kappa) * (np.asarray(alpha) * np.asarray(frequency) / GAMMA_HZ
                                + np.asarray(inhomogeneous))


# -- torques from the ST-FMR lineshape -------------------------------------------------------


def drive_ratio(s_over_a: ArrayLike, b_1: ArrayLike, b_2: ArrayLike) -> np.ndarray:
    """Damping-like over in-plane (field-like + Oersted) RF field, B_DL / B_y, from the
    ratio of the symmetric and antisymmetric Lorentzian amplitudes S / A.

    For m in the plane the damping-like torque drives m out of the plane (symmetric line,
    weight sqrt(B_1 B_2) = f / gamma') and an in-plane field drives it in the plane
    (antisymmetric line, weight B_2): B_DL / B_y = (S / A) sqrt(B_2 / B_1), with B_K = 0
    Liu et al.'s (S / A) sqrt(1 + M_eff / B). (The in-plane field's own leak into the
    symmetric part through the damping cancels against the field dependence of the
    Kittel denominator, to first order in Delta B.)"""
    return np.asarray(s_over_a) * np.sqrt(np.asarray(b_2) / np.asarray(b_1))


def liu_efficiency(ratio: ArrayLike, ms: ArrayLike, t_f: ArrayLike,
                   t_hm: ArrayLike) -> np.ndarray:
    """xi_FMR of Liu et al., PRL 106, 036601 (2011), from B_DL / B_y, taking B_y to be the
    Oersted field mu0 J_HM d / 2 of a heavy metal (thickness d) *under* the FM (along
    -y in labspin's frame) and xi per heavy-metal current density:
    xi_FMR = -(B_DL / B_y) e mu0 M_s t_F d / hbar. A heavy metal on top flips the sign."""
    return -np.asarray(ratio) * E_CHARGE * MU0 * np.asarray(ms) * np.asarray(t_f) * \
        np.asarray(t_hm) / HBAR


def damping_change_per_field(phi: ArrayLike, b_1: ArrayLike, b_2: ArrayLike) -> np.ndarray:
    """d(alpha_eff)/d(B_DL) of a DC damping-like field B_DL (about sigma = y): a current
    that pushes m towards sigma damps it, alpha_eff = alpha + 2 B_DL sin(phi) /
    (B_1 + B_2) (Liu et al. 2011: sin(phi) / (B + M_eff / 2) when B_K = 0)."""
    return 2 * np.sin(phi) / (np.asarray(b_1) + np.asarray(b_2))


def xi_from_damping_slope(dalpha_dcurrent: ArrayLike, phi: ArrayLike, b_1: ArrayLike,
                          b_2: ArrayLike, ms: ArrayLike, t_f: ArrayLike,
                          area: ArrayLike) -> np.ndarray:
    """xi_DL (per mean current density through the conducting stack, labspin's
    convention) from the slope of alpha_eff against a DC current (1/A):
    B_DL per ampere = slope / (2 sin phi / (B_1 + B_2)), then
    xi = 2 e M_s t_F area B_DL_per_A / hbar, area = width x conducting thickness."""
    b_dl_per_a = np.asarray(dalpha_dcurrent) / damping_change_per_field(phi, b_1, b_2)
    return 2 * E_CHARGE * np.asarray(ms) * np.asarray(t_f) * np.asarray(area) * \
        b_dl_per_a / HBAR
