"""What a device's ST-FMR should give, written out by hand from the formulas of
PHYSICS.md (drift-diffusion torque, Tserkovnyak spin pumping, Liu et al. 2011), not
taken from labspin.physics, for the round-trip tests."""

from __future__ import annotations

import math

HBAR, E, H = 1.054571817e-34, 1.602176634e-19, 6.62607015e-34
GAMMA = 1.76085963e11  # rad/(s T)


def afm_conductance(afm, temperature: float = 300.0) -> float:
    """G_A: film Neel temperature, magnon profile, thickness saturation."""
    t_n = afm.neel_temperature * (1 - afm.neel_thickness_scale / afm.thickness)
    tau = temperature / t_n
    profile = afm.paramagnetic_floor + (1 - afm.paramagnetic_floor) * (
        tau * math.exp(1 - tau)) ** afm.magnon_exponent
    return afm.spin_conductance * profile * (1 - math.exp(-afm.thickness / afm.magnon_length))


def _pumping(layer) -> float:
    """The spin conductance that absorbs GHz spin pumping: the pumping share of an AFMI's
    G_A, a heavy metal's interface and bulk in series plus what spin memory loss takes,
    nothing for an oxide."""
    if hasattr(layer, "pumping_fraction"):
        return layer.pumping_fraction * afm_conductance(layer)
    if hasattr(layer, "spin_memory_loss"):
        bulk = math.tanh(layer.thickness / layer.spin_diffusion_length) / (
            layer.resistivity * layer.spin_diffusion_length)
        lost = layer.interface_conductance * layer.spin_memory_loss / (
            1 - layer.spin_memory_loss)
        return 1 / (1 / layer.interface_conductance + 1 / bulk) + lost
    return 0.0


def damping(params) -> float:
    """alpha_0 plus spin pumping into both neighbours (Tserkovnyak et al. 2002)."""
    fm = params.ferromagnet
    g = _pumping(params.top) + _pumping(params.bottom)
    return fm.gilbert_damping + HBAR * GAMMA * g * H / E**2 / (
        4 * math.pi * fm.saturation_magnetization * fm.thickness)


def xi_fm_afmi(params) -> float:
    """xi_DL of an FM with an AFMI on top and a reflecting layer below (negative)."""
    fm = params.ferromagnet
    g_a = afm_conductance(params.top)
    g_f = 1 / (fm.resistivity * fm.spin_diffusion_length)
    r = fm.thickness / fm.spin_diffusion_length
    return -fm.spin_hall_angle * g_a / (g_a + g_f / math.tanh(r)) * (1 - 1 / math.cosh(r))


def xi_liu(params) -> float:
    """xi per heavy-metal current density of Pt (below) / Py, by Liu's definition."""
    pt, py = params.bottom, params.ferromagnet
    g_pt = 1 / (pt.resistivity * pt.spin_diffusion_length)
    r = pt.thickness / pt.spin_diffusion_length
    transparency = pt.interface_conductance / (pt.interface_conductance + g_pt / math.tanh(r))
    xi_pt = pt.spin_hall_angle * (1 - 1 / math.cosh(r)) * transparency * (1 - pt.spin_memory_loss)
    sink = 1 / (1 / pt.interface_conductance + 1 / (g_pt * math.tanh(r)))
    g_py = 1 / (py.resistivity * py.spin_diffusion_length)
    rf = py.thickness / py.spin_diffusion_length
    xi_py = py.spin_hall_angle * sink / (sink + g_py / math.tanh(rf)) * (1 - 1 / math.cosh(rf))
    return xi_pt + xi_py * pt.resistivity / py.resistivity
