"""Temperature and thickness dependences of the layer properties.

Every function returns the property at temperature ``T`` from the 300 K values stored in
the parameter dataclasses, so a preset is written in the numbers a lab measures at room
temperature. What each law rests on (docs/physics-notes.md collects them):

* M_s(T): Bloch's T^(3/2) law at low temperature joined to the mean-field square root
  near T_C (``reduced_magnetization``);
* rho(T): linear metallic resistivity, phonon scattering above the Debye temperature;
* lambda_F(T): Elliott-Yafet spin relaxation, each momentum scattering flips the spin with
  a fixed probability, so lambda rho is constant (Elliott, Phys. Rev. 96, 266 (1954);
  Yafet (1963); Bass and Pratt, J. Phys.: Condens. Matter 19, 183201 (2007));
* theta_F: kept at its 300 K value. An intrinsic spin Hall conductivity would make
  theta = sigma_SH rho grow with rho, as in Pt (Sagasta et al., PRB 94, 060412(R)
  (2016)), but for the FM's own spin current the mechanism and its temperature
  dependence are not established (Wang et al., Nat. Nanotechnol. 14, 819 (2019)), so the
  model does not assume one (docs/physics-notes.md);
* G_A(T): the AFMI's magnon spin conductance, a broad thermal-magnon part and a critical
  part that peaks at the film's Neel temperature, where the dynamical susceptibility
  of the order parameter is largest (Qiu et al., Nat. Commun. 7, 12670 (2016), CoO;
  Frangou et al., PRL 116, 077203 (2016), IrMn; Ohnuma et al., PRB 89, 174417 (2014)).
"""

from __future__ import annotations

import math

import numpy as np

from labspin.physics.parameters import Antiferromagnet, Ferromagnet

REFERENCE_TEMPERATURE = 300.0  # K, where presets give their values


def reduced_magnetization(temperature: float, curie_temperature: float) -> float:
    """M_s(T)/M_s(0) = (1 - (T/T_C)^(3/2))^(1/2): Bloch's T^(3/2) law at low T, a
    mean-field square root towards T_C, zero above."""
    if isinstance(temperature, float | int) and not isinstance(temperature, bool):
        return _reduced_magnetization(float(temperature), float(curie_temperature))
    tau = np.clip(np.asarray(temperature, dtype=float) / curie_temperature, 0.0, 1.0)
    return np.sqrt(np.clip(1.0 - tau**1.5, 0.0, None))


def _reduced_magnetization(temperature: float, curie_temperature: float) -> float:
    """reduced_magnetization of one temperature, in plain floats (numpy's scalar calls
    cost microseconds, and the bench asks at every new temperature)."""
    tau = min(max(temperature / curie_temperature, 0.0), 1.0)
    return math.sqrt(max(1.0 - tau**1.5, 0.0))


def magnetization_ratio(fm: Ferromagnet, temperature: float) -> float:
    """M_s(T) / M_s(300 K)."""
    return float(reduced_magnetization(float(temperature), fm.curie_temperature)
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


def spin_diffusion_length(fm: Ferromagnet, temperature: float) -> float:
    """lambda_F(T) = lambda_F(300 K) rho(300 K) / rho(T): Elliott-Yafet, lambda rho fixed.

    The FM's spin conductance G_F = 1 / (rho lambda) is then the same at every
    temperature, while t_F / lambda_F grows as the film warms."""
    rho = resistivity(fm.resistivity, fm.resistivity_temperature_coefficient, temperature)
    return fm.spin_diffusion_length * fm.resistivity / rho


def neel_temperature(afm: Antiferromagnet) -> float:
    """Film Neel temperature, lowered by finite size: T_N,bulk (1 - t_0 / t_A)."""
    return afm.neel_temperature * (1.0 - afm.neel_thickness_scale / afm.thickness)


def magnon_absorption_profile(afm: Antiferromagnet, temperature: float) -> float:
    """f(T) = [floor + (1 - floor) M(T)] (1 + w C(T)), equal to 1 + w at T = T_N.

    M(T) = [tau exp(1 - tau)]^p, tau = T / T_N: the thermal magnon population grows as
    T^p and the order that carries the magnons is gone above T_N (a broad hump that
    falls to the paramagnetic floor). C(T) = 1 / (1 + ((T - T_N) / Gamma)^2): the
    critical enhancement of spin absorption where the AFM's dynamical susceptibility
    peaks, broadened in a film to a half width Gamma (``critical_width``), by up to
    w (``critical_weight``); the spin pumping of Qiu et al. (2016) through CoO and of
    Frangou et al. (2016) through IrMn peaks there. Both factors are largest at T_N with
    zero slope, so G_A peaks exactly at the film's Neel temperature; far from it
    (|T - T_N| >> Gamma) only the magnon hump is left."""
    t_n = neel_temperature(afm)
    t = max(float(temperature), 0.0)
    tau = t / t_n
    magnons = (tau * np.exp(1.0 - tau)) ** afm.magnon_exponent
    critical = 1.0 / (1.0 + ((t - t_n) / afm.critical_width) ** 2)
    hump = afm.paramagnetic_floor + (1.0 - afm.paramagnetic_floor) * magnons
    return hump * (1.0 + afm.critical_weight * critical)


def afm_spin_conductance(afm: Antiferromagnet, temperature: float) -> float:
    """G_A(T, t_A), ohm^-1 m^-2: magnon absorption saturating over a magnon length."""
    thickness_factor = -np.expm1(-afm.thickness / afm.magnon_length)
    return afm.spin_conductance * magnon_absorption_profile(afm, temperature) * \
        float(thickness_factor)
