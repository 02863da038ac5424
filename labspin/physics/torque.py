"""Spin-orbit torque from magnonic spin dissipation, and the heavy-metal reference.

Drift-diffusion estimate of PHYSICS.md (after Ochoa, Zarzuela, Tserkovnyak, JMMM 2021;
Amin et al., PRB 99, 220405 (2019)). The FM's own charge current makes a spin current
along z polarised along sigma = +y with efficiency theta_F. Interface i absorbs the
share eta_i = G_i / (G_i + G_F coth(t_F / lambda_F)). The net torque on the FM is the
spin current that enters through its bottom minus what leaves through its top, so

    xi_self = theta_F (eta_bottom - eta_top) (1 - sech(t_F / lambda_F)).

Sign convention: xi > 0 when, for current along +x, the damping-like torque drives m
towards +y (B_DL > 0 in -gamma B_DL m x (m x y)), as a positive spin-Hall metal grown
*under* the FM does (Pt/Py). Its Oersted field at the FM points along -y (x cross z),
against the torque: a negative spin-Hall metal under the FM (W, Ta) has the two
cooperating, as Rowlands et al. (PRB 2019, 3-terminal MTJs on W and Ta) found
essential for fast in-plane switching. A sink on the same side as such a metal acts in
the same sense (the FM's own upward spin flow leaves through the bottom as if injected
there), so a sink on top gives xi < 0 for theta_F > 0; flipping the stack flips the
sign, and equal sinks on both sides (or none) cancel.

A heavy metal adds its own spin Hall torque theta_HM (1 - sech(t/lambda)) T, with the
same drift-diffusion transparency T = G_mix / (G_mix + G_HM coth(t/lambda)) reduced by
spin memory loss, shunts part of the current away from the FM and makes an Oersted
field at the FM (a current sheet K = I_HM / w gives B = mu0 K / 2). Current in the FM
itself gives no net Oersted field on the FM.

Spin pumping into every sink raises the damping, delta_alpha = hbar gamma (h/e^2) G /
(4 pi M_s t_F) (Tserkovnyak, Brataas, Bauer 2002), with the same G that sets the torque,
so more spin loss raises torque and damping together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from labspin.physics import materials
from labspin.physics.constants import E_CHARGE, HBAR, MU0
from labspin.physics.formulas import spin_pumping_damping
from labspin.physics.parameters import (
    Antiferromagnet,
    DeviceParameters,
    HeavyMetal,
    Layer,
    OxideCap,
)

# Sense of the damping-like field of a positive spin-Hall metal on each side (see above).
_SIDE_SIGN = {"bottom": +1.0, "top": -1.0}


@dataclass(frozen=True)
class SpinTransport:
    """Torque efficiencies, damping and current sharing of a device at one temperature.

    ``xi_dl`` is referred to the mean current density through the whole conducting
    stack, J = I / (w t_conducting), so that B_DL = hbar xi_dl J / (2 e M_s t_F) for
    any stack; for a single FM it is xi_self. Field-per-ampere values give the
    current-induced fields at the FM directly: B = (field per ampere) * I.
    """

    temperature: float
    absorption_bottom: float
    absorption_top: float
    xi_dl_self: float
    xi_dl_heavy_metal: float
    xi_dl: float
    xi_fl: float
    damping: float
    damping_intrinsic: float
    fm_current_fraction: float
    conducting_thickness: float
    sheet_conductance: float  # siemens per square, all conducting layers
    b_dl_per_ampere: float  # T/A, damping-like effective field amplitude
    b_fl_per_ampere: float  # T/A, field-like field along sigma
    b_oersted_per_ampere: float  # T/A, Oersted field along y at the FM
    saturation_magnetization: float

    def current_density(self, current: float, width: float) -> float:
        """Mean current density through the conducting stack, A/m^2."""
        return current / (width * self.conducting_thickness)

    def fm_current_density(self, current: float, width: float, fm_thickness: float) -> float:
        return current * self.fm_current_fraction / (width * fm_thickness)



def _sech(x: float) -> float:
    """1 / cosh(x) without overflow for thick films (x = t / lambda above 710)."""
    return 0.0 if abs(x) > 700 else 1.0 / math.cosh(x)

def sink_conductance(layer: Layer | None, temperature: float) -> float:
    """Spin conductance (ohm^-1 m^-2) with which a neighbouring layer absorbs spin from
    the FM: magnons in an AFMI, nothing much in an oxide, the interface in series with
    the bulk spin relaxation of a heavy metal."""
    if layer is None:
        return 0.0
    if isinstance(layer, Antiferromagnet):
        return materials.afm_spin_conductance(layer, temperature)
    if isinstance(layer, OxideCap):
        return layer.spin_conductance
    if isinstance(layer, HeavyMetal):
        bulk = layer.spin_conductance * math.tanh(layer.thickness / layer.spin_diffusion_length)
        return 1.0 / (1.0 / layer.interface_conductance + 1.0 / bulk)
    raise TypeError(f"unknown layer type {type(layer).__name__}")


def pumping_conductance(layer: Layer | None, temperature: float) -> float:
    """The part of the sink conductance that absorbs GHz spin pumping (damping)."""
    g = sink_conductance(layer, temperature)
    if isinstance(layer, Antiferromagnet):
        return layer.pumping_fraction * g
    if isinstance(layer, HeavyMetal) and layer.spin_memory_loss > 0:
        lost = layer.interface_conductance * layer.spin_memory_loss / (1 - layer.spin_memory_loss
                                                                       + 1e-12)
        return g + lost
    return g


def heavy_metal_efficiency(hm: HeavyMetal) -> float:
    """Spin Hall torque efficiency of a heavy metal per its own current density."""
    ratio = hm.thickness / hm.spin_diffusion_length
    transparency = hm.interface_conductance / (
        hm.interface_conductance + hm.spin_conductance / math.tanh(ratio))
    return hm.spin_hall_angle * (1.0 - _sech(ratio)) * transparency * (
        1.0 - hm.spin_memory_loss)


def spin_transport(device: DeviceParameters, temperature: float | None = None) -> SpinTransport:
    """Torques, damping and current sharing at ``temperature`` (default: the stage)."""
    fm = device.ferromagnet
    t = device.thermal.stage_temperature if temperature is None else float(temperature)
    ms = materials.saturation_magnetization(fm, t)
    rho_f = materials.resistivity(fm.resistivity, fm.resistivity_temperature_coefficient, t)
    lambda_f = materials.spin_diffusion_length(fm, t)
    g_f = 1.0 / (rho_f * lambda_f)  # Elliott-Yafet: the same at every temperature
    ratio = fm.thickness / lambda_f
    coth = 1.0 / math.tanh(ratio)

    def absorption(layer: Layer | None) -> float:
        g = sink_conductance(layer, t)
        return g / (g + g_f * coth)

    eta_bottom, eta_top = absorption(device.bottom), absorption(device.top)
    xi_self = fm.spin_hall_angle * (eta_bottom - eta_top) * (1.0 - _sech(ratio))

    # Current sharing between the FM and heavy metals (parallel sheets).
    g_sheet_fm = fm.thickness / rho_f
    hms = device.heavy_metals
    g_sheet_hm = [hm.thickness / hm.resistivity for _, hm in hms]
    g_total = g_sheet_fm + sum(g_sheet_hm)
    frac_fm = g_sheet_fm / g_total
    t_cond = fm.thickness + sum(hm.thickness for _, hm in hms)
    width = device.hall_bar.width

    # Fields per ampere of total current.
    prefactor = HBAR / (2 * E_CHARGE * ms * fm.thickness)
    j_fm_per_a = frac_fm / (width * fm.thickness)
    b_dl = prefactor * xi_self * j_fm_per_a
    b_fl = prefactor * fm.field_like_ratio * xi_self * j_fm_per_a
    b_oe = 0.0
    xi_hm_total = 0.0
    for (side, hm), g_sheet in zip(hms, g_sheet_hm, strict=True):
        frac = g_sheet / g_total
        xi_hm = _SIDE_SIGN[side] * heavy_metal_efficiency(hm)
        j_hm_per_a = frac / (width * hm.thickness)
        b_dl += prefactor * xi_hm * j_hm_per_a
        b_fl += prefactor * hm.field_like_ratio * xi_hm * j_hm_per_a
        # Sheet below the FM: B = -mu0 K/2 along y for current along +x; above: +.
        b_oe += -_SIDE_SIGN[side] * MU0 * frac / (2 * width)
        xi_hm_total += xi_hm

    j_mean_per_a = 1.0 / (width * t_cond)
    xi_eff = b_dl / (prefactor * j_mean_per_a)
    xi_fl = b_fl / (prefactor * j_mean_per_a)

    alpha_extra = sum(spin_pumping_damping(pumping_conductance(layer, t), ms, fm.thickness)
                      for layer in (device.bottom, device.top))
    return SpinTransport(
        temperature=t,
        absorption_bottom=eta_bottom,
        absorption_top=eta_top,
        xi_dl_self=xi_self,
        xi_dl_heavy_metal=xi_hm_total,
        xi_dl=xi_eff,
        xi_fl=xi_fl,
        damping=fm.gilbert_damping + float(alpha_extra),
        damping_intrinsic=fm.gilbert_damping,
        fm_current_fraction=frac_fm,
        conducting_thickness=t_cond,
        sheet_conductance=g_total,
        b_dl_per_ampere=b_dl,
        b_fl_per_ampere=b_fl,
        b_oersted_per_ampere=b_oe,
        saturation_magnetization=ms,
    )
