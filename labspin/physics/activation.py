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
* The current, when the spin polarisation sigma lies along the easy axis (in-plane
  magnet of the paper), acts by antidamping. It does not simply lower the barrier as
  (1 - I/I_c0): the torque pumps energy into the precession at a rate that depends on
  the orbit, and its threshold B_c(eps) grows from Liu et al.'s (2012) alpha (B_K +
  M_eff/2) at the bottom of the well (eps = 0) to about 4/pi of it at the separatrix
  (eps = 1) for B_K << M_eff (tests/physics/test_llg.py measures 1.26). In energy space
  the thermal distribution then has the effective barrier (Apalkov and Visscher, PRB
  72, 180405(R) (2005))

      Delta_eff = Delta_0 integral_0^1 max(0, 1 - i / r(eps)) d eps,
      i = -s (u.sigma) B_DL / [alpha (B_K + s B_u + M_eff/2)],  r = B_c(eps) / B_c(0),

  linear in i below Liu's threshold, Delta_0 (1 - i <1/r>), and vanishing at the
  reversal threshold r(1). The linear law with the reversal threshold as I_c0, which
  this replaces, made 50 ns pulses in the activation regime need 7 % more current than
  the stochastic LLG of the same grain (tests/physics/test_switching.py).
  When sigma is perpendicular to the easy axis (perpendicular magnet), the damping-like
  field tilts m out of the well only together with a bias field along sigma x u, and
  i = -s sign(B_DL B_p) |B_DL| / B_c tanh(|B_p| / B_chirality) with the Lee et al.
  (2013) threshold B_c = B_K/2 - |B_p|/sqrt 2.
* n = 1 for spin-orbit torque (Lee et al., APL 104, 072413 (2014)): the current factor
  is (1 - i)^n for the perpendicular magnet and the Apalkov-Visscher fraction to the
  power n for the in-plane one.
* The attempt time tau_0 (``SwitchingKinetics.attempt_time``) should be that of the
  reversal unit's own precession: for alpha of 0.01-0.02 and these fields the
  stochastic LLG escapes as if tau_0 were 3-8 ns, and with 3 ns the two pulse regimes
  meet within 2 % (docs/physics-notes.md).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from labspin.physics.parameters import DeviceParameters
from labspin.physics.properties import DeviceProperties

_Z = np.array([0.0, 0.0, 1.0])
#: Reversal over instability threshold of an easy-plane macrospin under antidamping.
REVERSAL_FACTOR = 4.0 / math.pi


#: energy grid (fraction of the barrier) and angle grid of the orbit averages
_EPS = (np.arange(256) + 0.5) / 256
_U = (np.arange(256) + 0.5) / 256 * np.pi - np.pi / 2


def threshold_profile(stiffness: float) -> np.ndarray:
    """r(eps) = B_c(eps) / B_c(0) on ``_EPS`` for b = B_K / (B_K + M_eff) = ``stiffness``.

    B_c(eps) is the damping-like field at which the antidamping torque, averaged over
    the conservative orbit of energy eps (0 at the easy axis, 1 at the separatrix),
    balances the damping (Apalkov and Visscher, PRB 72, 180405(R) (2005)); B_c(0) is
    Liu's alpha (B_K + M_eff/2). Fields in units of B_K + M_eff; the orbit at energy eps
    is m_z = zeta_max sin u, zeta_max^2 = b eps, over which dt is proportional to
    du / m_y."""
    b, d = stiffness, 1.0 - stiffness
    eps = _EPS[:, None]
    z = np.sqrt(b * eps) * np.sin(_U)[None, :]
    my = np.sqrt((d * z**2 + b * (1.0 - eps)) / b)
    mx2 = np.clip((b * eps - z**2) / b, 0.0, None)
    damping = b**2 * my**2 + d**2 * z**2 - (b * my**2 - d * z**2) ** 2  # |m x B_eff|^2
    torque = b * (mx2 + z**2) + d * z**2  # what the antidamping torque gains, / m_y
    return np.mean(damping / my, axis=1) / np.mean(torque, axis=1) / (b + d / 2)


@lru_cache(maxsize=256)
def _sorted_thresholds(stiffness: float) -> tuple[np.ndarray, np.ndarray]:
    """r(eps) sorted, and the tail sums of 1 and 1/r over it (divided by the grid size):
    the integral of max(0, 1 - i/r) is then (n_> - i S_>) / N over the r above i."""
    r = np.sort(threshold_profile(stiffness))
    tail = np.concatenate([np.cumsum((1.0 / r)[::-1])[::-1], [0.0]]) / r.size
    return r, tail


def threshold_tables(stiffness: float) -> tuple[np.ndarray, np.ndarray]:
    """``_sorted_thresholds`` of the stiffness rounded to 3 digits (the profile hardly
    changes within that), cached."""
    key = _stiffness_keys.get(stiffness)
    if key is None:
        key = float(f"{float(np.clip(stiffness, 1e-4, 1.0)):.3g}")
        if len(_stiffness_keys) > 4096:
            _stiffness_keys.clear()
        _stiffness_keys[stiffness] = key
    return _sorted_thresholds(key)


_stiffness_keys: dict[float, float] = {}


def antidamping_barrier_fraction(drive: np.ndarray, stiffness: float) -> np.ndarray:
    """Delta_eff / Delta_0 of an in-plane magnet under the antidamping drive i (in units
    of Liu's threshold), from the energy-space Fokker-Planck picture of Apalkov and
    Visscher (2005): Delta_eff = Delta_0 integral over eps of max(0, 1 - i / r(eps)).
    Below Liu's threshold (i < 1) this is Delta_0 (1 - i <1/r>), linear in i; between it
    and the reversal threshold r(1) (4/pi for B_K << M_eff) the magnet precesses on a
    stable orbit and only the rest of the barrier is left; beyond r(1) nothing is. A
    drive against the reversal (i < 0) raises the barrier, Delta_0 (1 + |i| <1/r>)."""
    r, tail = threshold_tables(stiffness)
    i = np.asarray(drive, dtype=float)  # i < 0: a torque against the reversal adds damping
    k = np.searchsorted(r, i, side="right")  # r[k:] > i
    return np.clip((r.size - k) / r.size - i * tail[k], 0.0, None)


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
    n = device.kinetics.current_exponent
    u = np.asarray(device.ferromagnet.easy_axis)
    if abs(float(u[1])) >= math.sqrt(0.5):  # sigma = y along the easy axis: antidamping
        s = np.asarray(states, dtype=float)
        stiff = np.clip(props.anisotropy_field + s * float(b_field @ u), 1e-6, None)
        liu = props.damping * (stiff + props.demag_field / 2)
        drive = -s * math.copysign(1.0, float(u[1])) * b_dl / liu
        # the shape of r(eps) depends on B_K / (B_K + M_eff) only weakly; a field along
        # the easy axis enters through Liu's threshold
        ratio = props.anisotropy_field / (props.anisotropy_field + props.demag_field)
        current_factor = antidamping_barrier_fraction(drive, ratio) ** n
    else:
        i = current_drive(device, props, states, b_field, b_dl)
        current_factor = np.clip(1.0 - i, 0.0, None) ** n
    return props.barrier * np.asarray(barrier_scale) * f * current_factor


def escape_rate(device: DeviceParameters, delta: np.ndarray) -> np.ndarray:
    """1/tau = exp(-Delta) / tau_0, in 1/s."""
    return np.exp(-np.asarray(delta)) / device.kinetics.attempt_time
