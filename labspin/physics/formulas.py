"""Closed-form results of macrospin and thermal-activation theory.

These are the analytic limits the model is tested against and the expressions the fits
in ``labspin.analysis`` reuse. Fields are given as flux densities ``B = mu0 H`` in tesla,
magnetisations in A/m, current densities in A/m^2, lengths in metres. Every function
accepts numpy arrays and broadcasts.
"""

from __future__ import annotations

import numpy as np

from labspin.physics.constants import (
    E_CHARGE,
    GAMMA,
    HBAR,
    K_B,
    LN2,
    RESISTANCE_QUANTUM,
)

ArrayLike = float | np.ndarray


def damping_like_field(xi_dl: ArrayLike, current_density: ArrayLike, ms: ArrayLike,
                       t_f: ArrayLike) -> ArrayLike:
    """Damping-like effective field mu0*H_DL = hbar xi J / (2 e M_s t_F), in tesla."""
    return HBAR * np.asarray(xi_dl) * np.asarray(current_density) / (2 * E_CHARGE * ms * t_f)


def xi_from_damping_like_field(b_dl: ArrayLike, current_density: ArrayLike, ms: ArrayLike,
                               t_f: ArrayLike) -> ArrayLike:
    """Inverse of :func:`damping_like_field`: the efficiency xi_DL from a measured B_DL."""
    return 2 * E_CHARGE * ms * t_f * np.asarray(b_dl) / (HBAR * np.asarray(current_density))


def spin_pumping_damping(spin_conductance: ArrayLike, ms: ArrayLike, t_f: ArrayLike) -> ArrayLike:
    """Gilbert damping added by a spin sink of conductance G (ohm^-1 m^-2).

    Tserkovnyak, Brataas, Bauer, PRL 88, 117601 (2002):
    delta_alpha = g mu_B g_mix / (4 pi M_s t_F) with g_mix = (h/e^2) G in m^-2.
    """
    g_mix = np.asarray(spin_conductance) * RESISTANCE_QUANTUM
    return HBAR * GAMMA * g_mix / (4 * np.pi * ms * t_f)


def stoner_wohlfarth_switching_field(b_k: ArrayLike, psi: ArrayLike) -> ArrayLike:
    """Astroid: B_sw = B_K / (cos^(2/3) psi + sin^(2/3) psi)^(3/2), psi from the easy axis."""
    c = np.abs(np.cos(psi)) ** (2.0 / 3.0)
    s = np.abs(np.sin(psi)) ** (2.0 / 3.0)
    return b_k / (c + s) ** 1.5


def brown_escape_time(alpha: ArrayLike, b_k: ArrayLike, delta: ArrayLike,
                      gamma: float = GAMMA) -> ArrayLike:
    """Brown's mean escape time over a uniaxial barrier (high-barrier limit), in seconds.

    tau = (1 + alpha^2) / (alpha gamma B_K) sqrt(pi / Delta) exp(Delta);
    W. F. Brown, Phys. Rev. 130, 1677 (1963). Valid for Delta above about 5.
    """
    return (1 + alpha**2) / (alpha * gamma * b_k) * np.sqrt(np.pi / delta) * np.exp(delta)


def sharrock_switching_field(b_0: ArrayLike, delta_0: ArrayLike, attempt_frequency: ArrayLike,
                             time: ArrayLike, n: float = 2.0) -> ArrayLike:
    """Rate-dependent coercivity, Sharrock, IEEE Trans. Magn. 26, 193 (1990).

    B_sw(t) = B_0 [1 - ((1/Delta_0) ln(f_0 t / ln 2))^(1/n)], the field at which half of
    an ensemble has reversed after waiting ``time``. Clipped at zero where the barrier is
    crossed thermally without any field.
    """
    x = np.log(np.asarray(attempt_frequency) * np.asarray(time) / LN2) / delta_0
    x = np.clip(x, 0.0, None)
    return b_0 * np.clip(1.0 - x ** (1.0 / n), 0.0, None)


def antidamping_threshold_inplane(ms: ArrayLike, t_f: ArrayLike, alpha: ArrayLike,
                                  xi_dl: ArrayLike, b_c: ArrayLike,
                                  b_eff: ArrayLike) -> ArrayLike:
    """Zero-temperature antidamping switching threshold of an in-plane magnet, A/m^2.

    J_c0 = (2e/hbar) (mu0 M_s t_F alpha / xi_DL) (H_c + M_eff/2), with the spin
    polarisation along the easy axis; Liu et al., Science 336, 555 (2012). ``b_c`` is
    mu0 H_c and ``b_eff`` is mu0 M_eff, both in tesla. Returned as a positive magnitude.
    """
    return (2 * E_CHARGE / HBAR) * ms * t_f * alpha / np.abs(xi_dl) * (b_c + b_eff / 2)


def lee_threshold_perpendicular(ms: ArrayLike, t_f: ArrayLike, xi_dl: ArrayLike,
                                b_k_eff: ArrayLike, b_x: ArrayLike) -> ArrayLike:
    """Critical current density of a perpendicular magnet with in-plane bias field, A/m^2.

    J_c = (2e/hbar) (mu0 M_s t_F / xi_DL) (H_K,eff/2 - H_x/sqrt 2); Lee et al., APL 102,
    112410 (2013). ``b_k_eff`` and ``b_x`` in tesla; returned as a magnitude.
    """
    return (2 * E_CHARGE / HBAR) * ms * t_f / np.abs(xi_dl) * (b_k_eff / 2
                                                               - np.abs(b_x) / np.sqrt(2))


def thermal_field_sigma(alpha: ArrayLike, temperature: ArrayLike, ms: ArrayLike,
                        volume: ArrayLike, dt: ArrayLike, gamma: float = GAMMA) -> ArrayLike:
    """Standard deviation (tesla) of each Cartesian component of Brown's thermal field.

    Variance 2 alpha k_B T / (gamma M_s V dt), with M_s in A/m and gamma in rad/(s T);
    the result is already mu0 H_th, so no further factor mu0 appears.
    """
    return np.sqrt(2 * alpha * K_B * temperature / (gamma * ms * volume * dt))


def barrier_volume(delta: ArrayLike, ms: ArrayLike, b_k: ArrayLike,
                   temperature: ArrayLike) -> ArrayLike:
    """Activation volume whose uniaxial barrier M_s B_K V / 2 equals Delta k_B T."""
    return 2 * np.asarray(delta) * K_B * temperature / (ms * b_k)


def activation_time(tau_0: ArrayLike, delta_0: ArrayLike, drive: ArrayLike,
                    exponent: float = 1.0) -> ArrayLike:
    """Neel-Brown time tau = tau_0 exp(Delta_0 (1 - drive)^n), drive = I/I_c0 clipped at 1."""
    remaining = np.clip(1.0 - np.asarray(drive, dtype=float), 0.0, None)
    return tau_0 * np.exp(delta_0 * remaining**exponent)


def switching_probability(pulse_width: ArrayLike, tau: ArrayLike) -> ArrayLike:
    """Probability that a thermally activated reversal happens during the pulse."""
    return -np.expm1(-np.asarray(pulse_width) / tau)


def critical_drive_for_pulse(pulse_width: ArrayLike, tau_0: ArrayLike, delta_0: ArrayLike,
                             exponent: float = 1.0) -> ArrayLike:
    """I_50/I_c0 for a pulse of given width: 1 - [ln(t_p / (tau_0 ln 2)) / Delta_0]^(1/n).

    The logarithmic fall of the critical current with pulse width in the thermal regime
    (Koch et al., PRL 92, 088302 (2004); Lee et al., APL 104, 072413 (2014)).
    """
    x = np.log(np.asarray(pulse_width) / (np.asarray(tau_0) * LN2)) / delta_0
    return 1.0 - np.clip(x, 0.0, None) ** (1.0 / exponent)
