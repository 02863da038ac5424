"""Thermally activated reversal of the Hall bar's grains by field and current.

Neel-Brown: a grain in state s (m along s u) leaves its well at the rate
1/tau = exp(-Delta) / tau_0 with

    Delta = Delta_0(T) * F(B) * (1 - i)^n,     i = current drive (i >= 1: no barrier)

* F(B), the field factor, interpolates the Stoner-Wohlfarth barrier: a field against
  the state (h_a in units of the nucleation field) and across it (h_p in units of the
  anisotropy field, plus M_eff for the out-of-plane part of an in-plane magnet) lower
  it as (1 - (h_a^(2/3) + h_p^(2/3))^(3/2))^2, so the barrier vanishes on the astroid,
  and a field along the state raises it as (1 + h_s)^2. Swept fields thus give
  Sharrock's rate-dependent coercivity.
* The drive i: when the spin polarisation sigma lies along the easy axis (in-plane
  magnet of the paper) the current acts by antidamping, i = -s (u.sigma) B_DL / B_c with
  B_c = (4/pi) alpha (B_K + s B_u + M_eff/2). alpha (B_K + M_eff/2) is Liu et al.'s
  (2012) threshold, where the well becomes unstable; for B_K << M_eff a macrospin
  then precesses on growing orbits and only crosses the separatrix (reverses) at 4/pi
  times that current, the orbit average of the easy-plane torque (tests/physics/
  test_llg.py measures 1.26). Using the reversal threshold makes this law meet the
  LLG pulses where the two regimes join.
  When sigma is perpendicular to the easy axis (perpendicular magnet), the damping-like
  field tilts m out of the well only together with a bias field along sigma x u, and
  i = -s sign(B_DL B_p) |B_DL| / B_c tanh(|B_p| / B_chirality) with the Lee et al.
  (2013) threshold B_c = B_K/2 - |B_p|/sqrt 2.
* n = 1 for spin-orbit torque (Lee et al., APL 104, 072413 (2014)).
"""

from __future__ import annotations

import math

import numpy as np

from labspin.physics.parameters import DeviceParameters
from labspin.physics.properties import DeviceProperties

_Z = np.array([0.0, 0.0, 1.0])
#: Reversal over instability threshold of an easy-plane macrospin under antidamping.
REVERSAL_FACTOR = 4.0 / math.pi


def field_factor(device: DeviceParameters, props: DeviceProperties, states: np.ndarray,
                 b_field: np.ndarray, nucleation_scale: np.ndarray | float = 1.0) -> np.ndarray:
    """F(B) for grains in ``states`` (+1/-1), with per-grain nucleation-field scales."""
    kin = device.kinetics
    u = np.asarray(device.ferromagnet.easy_axis)
    b_u = float(b_field @ u)
    perp = b_field - b_u * u
    p_z = float(perp @ _Z) if abs(u[2]) < 0.5 else 0.0
    p_in = math.sqrt(max(float(perp @ perp) - p_z**2, 0.0))
    h_p = math.hypot(p_in / props.anisotropy_field,
                     p_z / (props.anisotropy_field + props.demag_field))
    b_n = props.switching_field * np.asarray(nucleation_scale, dtype=float)
    along = np.asarray(states, dtype=float) * b_u
    h_a = np.clip(-along, 0.0, None) / b_n
    h_s = np.clip(along, 0.0, None) / b_n
    g = (h_a ** (2.0 / 3.0) + h_p ** (2.0 / 3.0)) ** 1.5
    return np.clip(1.0 - g, 0.0, None) ** kin.field_exponent * (1.0 + h_s) ** kin.field_exponent


def current_drive(device: DeviceParameters, props: DeviceProperties, states: np.ndarray,
                  b_field: np.ndarray, b_dl: float) -> np.ndarray:
    """Reduced drive i of the damping-like field ``b_dl`` on grains in ``states``."""
    u = np.asarray(device.ferromagnet.easy_axis)
    sigma = np.array([0.0, 1.0, 0.0])
    s = np.asarray(states, dtype=float)
    u_sigma = float(u @ sigma)
    if abs(u_sigma) >= math.sqrt(0.5):
        b_c = REVERSAL_FACTOR * props.damping * (props.anisotropy_field
                                                 + s * float(b_field @ u)
                                                 + props.demag_field / 2)
        return -s * math.copysign(1.0, u_sigma) * b_dl / np.clip(b_c, 1e-12, None)
    bias = float(b_field @ np.cross(sigma, u))
    b_c = max(props.anisotropy_field / 2 - abs(bias) / math.sqrt(2),
              0.05 * props.anisotropy_field)
    chirality = math.tanh(abs(bias) / device.kinetics.chirality_field)
    target = math.copysign(1.0, b_dl * bias) if b_dl * bias != 0 else 0.0
    return -s * target * abs(b_dl) / b_c * chirality


def barrier(device: DeviceParameters, props: DeviceProperties, states: np.ndarray,
            b_field: np.ndarray, b_dl: float, barrier_scale: np.ndarray | float = 1.0,
            nucleation_scale: np.ndarray | float = 1.0) -> np.ndarray:
    """Delta for each grain; ``b_field`` includes current-induced Oersted and FL fields."""
    f = field_factor(device, props, states, b_field, nucleation_scale)
    i = current_drive(device, props, states, b_field, b_dl)
    current_factor = np.clip(1.0 - i, 0.0, None) ** device.kinetics.current_exponent
    return props.barrier * np.asarray(barrier_scale) * f * current_factor


def escape_rate(device: DeviceParameters, delta: np.ndarray) -> np.ndarray:
    """1/tau = exp(-Delta) / tau_0, in 1/s."""
    return np.exp(-np.asarray(delta)) / device.kinetics.attempt_time
