"""Magnetotransport readout of the Hall bar (PHYSICS.md, Readout).

    R_xx = R_0(T) + dR_AMR m_x^2 + dR_SMR (1 - m_y^2) - r_USMR I m_y
    R_xy = R_AHE m_z + 2 R_PHE m_x m_y + R_OHE B_z + R_offset

The planar Hall term is written in the literature's convention, R_PHE sin^2(theta)
sin(2 phi) = 2 R_PHE m_x m_y (Hayashi et al., PRB 89, 144425 (2014); Avci et al., PRB 90,
224427 (2014)), so the R_PHE of the model is the amplitude a fit of R_xy^1w = R_PHE
sin(2 phi) finds. The anisotropic magnetoresistance gives rho_xy = d_rho m_x m_y for
rho_xx = rho_perp + d_rho m_x^2, hence R_PHE = dR_AMR w / (2 L) unless set.

R_0(T) is the channel resistance at the bar's temperature (this is R_0 (1 + beta dT)).
The unidirectional term is tied to the torque: r_USMR I = R_0 usmr_efficiency xi_DL J.
The anomalous Nernst effect of the vertical Joule gradient adds voltages quadratic in
the current: V_xy += c I^2 m_x and V_xx -= c (L/w) I^2 m_y. Harmonic signals follow
from V(t) over one period of I_0 sin(wt), projected as V = V_0 + V_1w sin wt -
V_2w cos 2wt.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from labspin.physics.parameters import DeviceParameters
from labspin.physics.properties import DeviceProperties


@dataclass(frozen=True)
class Resistances:
    xx: float
    xy: float


def planar_hall_resistance(device: DeviceParameters, props: DeviceProperties) -> float:
    """R_PHE (ohm) in the convention R_xy = R_PHE sin^2(theta) sin(2 phi): the readout's
    ``planar_hall``, or dR_AMR w / (2 L) from the AMR of the bar at its temperature."""
    ro, hb = device.readout, device.hall_bar
    if ro.planar_hall is not None:
        return ro.planar_hall
    return ro.amr_ratio * props.channel_resistance * hb.width / (2.0 * hb.length)


def resistances(device: DeviceParameters, props: DeviceProperties, m: np.ndarray,
                current: float, b_z: float) -> Resistances:
    """R_xx and R_xy (ohm) for magnetisation ``m`` with ``current`` flowing."""
    ro = device.readout
    hb = device.hall_bar
    r0 = props.channel_resistance
    mx, my, mz = (float(c) for c in m)
    j = props.transport.current_density(current, hb.width)
    r_xx = (r0 * (1.0 + ro.amr_ratio * mx**2 + ro.smr_ratio * (1.0 - my**2))
            - r0 * ro.usmr_efficiency * props.transport.xi_dl * j * my)
    planar = planar_hall_resistance(device, props)
    r_xy = (ro.anomalous_hall * mz + 2.0 * planar * mx * my + ro.ordinary_hall * b_z
            + hb.hall_misalignment * r0)
    return Resistances(r_xx, r_xy)


def nernst_voltages(device: DeviceParameters, m: np.ndarray, current: float) -> tuple[float,
                                                                                     float]:
    """Anomalous Nernst voltages (V_xx, V_xy) of the vertical Joule gradient."""
    c = device.readout.nernst_coefficient * current**2
    hb = device.hall_bar
    return -c * hb.length / hb.width * float(m[1]), c * float(m[0])


def harmonic_projection(voltages: np.ndarray) -> tuple[float, float]:
    """(V_1w, V_2w) of samples of V at phases 2 pi k / N of I_0 sin(wt).

    V_1w is the in-phase first harmonic, V_2w the second harmonic with the sign
    convention V = ... - V_2w cos 2wt (a lock-in's 2w quadrature with the usual sign).
    """
    v = np.asarray(voltages, dtype=float)
    n = v.size
    sine, cosine = _projection_waves(n)
    return float(2.0 / n * v @ sine), float(-2.0 / n * v @ cosine)


@lru_cache(maxsize=64)
def _projection_waves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """sin(phase) and cos(2 phase) at the phases 2 pi k / n."""
    phase = 2 * np.pi * np.arange(n) / n
    return np.sin(phase), np.cos(2 * phase)
