"""Temperature and thickness dependences of the layer properties (phenomenological).

Every function returns the property at temperature ``T`` from the 300 K values stored in
the parameter dataclasses, so a preset is written in the numbers a lab measures at room
temperature.
"""

from __future__ import annotations

import numpy as np

from labspin.physics.parameters import Antiferromagnet, Ferromagnet

REFERENCE_TEMPERATURE = 300.0  # K, where presets give their values


def reduced_magnetization(temperature: float, curie_temperature: float) -> float:
    """M_s(T)/M_s(0) = (1 - (T/T_C)^(3/2))^(1/2): Bloch's T^(3/2) law at low T, a
    mean-field square root towards T_C, zero above."""
    tau = np.clip(np.asarray(temperature, dtype=float) / curie_temperature, 0.0, 1.0)
    return np.sqrt(np.clip(1.0 - tau**1.5, 0.0, None))


def magnetization_ratio(fm: Ferromagnet, temperature: float) -> float:
    """M_s(T) / M_s(300 K)."""
    return float(reduced_magnetization(temperature, fm.curie_temperature)
                 / reduced_magnetization(REFERENCE_TEMPERATURE, fm.curie_temperature))


def saturation_magnetization(fm: Ferromagnet, temperature: float) -> float:
    """M_s(T), A/m."""
    return fm.saturation_magnetization * magnetization_ratio(fm, temperature)


def anisotropy_field(fm: Ferromagnet, temperature: float) -> float:
    """B_K(T) = B_K(300 K) (M_s(T)/M_s(300 K))^k: k = 1 for shape anisotropy (mu0 N M_s),
    k = 2 for a magnetocrystalline K scaling as M_s^3 (Callen-Callen)."""
    return fm.anisotropy_field * magnetization_ratio(fm, temperature) ** fm.anisotropy_exponent


def switching_field(fm: Ferromagnet, temperature: float) -> float:
    """Zero-temperature-kinetics nucleation field at temperature T, scaled like B_K."""
    return fm.switching_field * magnetization_ratio(fm, temperature) ** fm.anisotropy_exponent


def effective_magnetization(fm: Ferromagnet, temperature: float) -> float:
    """mu0 M_eff(T): the demagnetising term scales with M_s."""
    return fm.effective_magnetization * magnetization_ratio(fm, temperature)


def resistivity(rho_300: float, beta: float, temperature: float) -> float:
    """Linear metallic resistivity rho(T) = rho_300 (1 + beta (T - 300 K))."""
    return rho_300 * max(1.0 + beta * (temperature - REFERENCE_TEMPERATURE), 0.05)


def neel_temperature(afm: Antiferromagnet) -> float:
    """Film Neel temperature, lowered by finite size: T_N,bulk (1 - t_0 / t_A)."""
    return afm.neel_temperature * (1.0 - afm.neel_thickness_scale / afm.thickness)


def magnon_absorption_profile(afm: Antiferromagnet, temperature: float) -> float:
    """f(T/T_N) = floor + (1 - floor) [tau exp(1 - tau)]^p, equal to 1 at T = T_N."""
    tau = max(float(temperature), 0.0) / neel_temperature(afm)
    shape = (tau * np.exp(1.0 - tau)) ** afm.magnon_exponent
    return afm.paramagnetic_floor + (1.0 - afm.paramagnetic_floor) * shape


def afm_spin_conductance(afm: Antiferromagnet, temperature: float) -> float:
    """G_A(T, t_A), ohm^-1 m^-2: magnon absorption saturating over a magnon length."""
    thickness_factor = -np.expm1(-afm.thickness / afm.magnon_length)
    return afm.spin_conductance * magnon_absorption_profile(afm, temperature) * \
        float(thickness_factor)
