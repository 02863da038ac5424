"""Everything the dynamics need at one temperature, and Joule heating of the bar."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from labspin.physics import materials
from labspin.physics.parameters import DeviceParameters
from labspin.physics.torque import SpinTransport, spin_transport


@dataclass(frozen=True)
class DeviceProperties:
    """Magnetic and transport properties of a device at temperature ``temperature``."""

    temperature: float
    saturation_magnetization: float  # A/m
    anisotropy_field: float  # B_K, T
    switching_field: float  # nucleation field of the bar, T
    demag_field: float  # mu0 M_eff, T
    barrier: float  # Delta_0 at this temperature
    channel_resistance: float  # resistance of the V_xx probe section, ohm
    transport: SpinTransport

    @property
    def damping(self) -> float:
        return self.transport.damping


def channel_resistance(device: DeviceParameters, temperature: float) -> float:
    """Resistance between the V_xx probes of all conducting layers in parallel, ohm."""
    fm = device.ferromagnet
    beta = fm.resistivity_temperature_coefficient
    sheet = fm.thickness / materials.resistivity(fm.resistivity, beta, temperature)
    for _, hm in device.heavy_metals:
        sheet += hm.thickness / materials.resistivity(hm.resistivity, beta, temperature)
    return device.hall_bar.length / (device.hall_bar.width * sheet)


@lru_cache(maxsize=4096)
def _properties(device: DeviceParameters, temperature: float) -> DeviceProperties:
    fm = device.ferromagnet
    ratio = materials.magnetization_ratio(fm, temperature)
    b_n = materials.switching_field(fm, temperature)
    # Delta = M_s B_n V / (2 k_B T): scales as M_s^(1+k) / T
    barrier = device.kinetics.barrier * ratio ** (1 + fm.anisotropy_exponent) * \
        materials.REFERENCE_TEMPERATURE / max(temperature, 1e-3)
    return DeviceProperties(
        temperature=temperature,
        saturation_magnetization=materials.saturation_magnetization(fm, temperature),
        anisotropy_field=materials.anisotropy_field(fm, temperature),
        switching_field=b_n,
        demag_field=materials.effective_magnetization(fm, temperature),
        barrier=barrier,
        channel_resistance=channel_resistance(device, temperature),
        transport=spin_transport(device, temperature),
    )


def properties_at(device: DeviceParameters, temperature: float) -> DeviceProperties:
    """Device properties at ``temperature`` (K), cached on a 1 mK grid.

    Temperatures are capped just below the Curie temperature: beyond it there is no
    magnet left to describe (and the bar has long burnt open in any preset).
    """
    t = min(float(temperature), 0.98 * device.ferromagnet.curie_temperature)
    return _properties(device, round(t, 3))


def steady_temperature(device: DeviceParameters, current: float,
                       stage_temperature: float | None = None) -> float:
    """Steady-state bar temperature with a DC current: T = T_stage + R_th I^2 R(T).

    Solved self-consistently, since R grows with T. Returns ``math.inf`` when no steady
    state exists below the failure temperature (thermal runaway).
    """
    th = device.thermal
    t_stage = th.stage_temperature if stage_temperature is None else stage_temperature
    return _steady_temperature(device, current, t_stage)


@lru_cache(maxsize=8192)
def _steady_temperature(device: DeviceParameters, current: float, t_stage: float) -> float:
    th = device.thermal
    t = t_stage
    for _ in range(60):
        t_new = t_stage + th.thermal_resistance * current**2 * channel_resistance(device, t)
        if abs(t_new - t) < 1e-6:
            return t_new
        if t_new > 5 * th.failure_temperature:
            return math.inf
        t = t_new
    return t


def temperature_during_pulse(device: DeviceParameters, current: float, times: np.ndarray,
                             stage_temperature: float | None = None) -> np.ndarray:
    """T(t) = T_stage + dT_ss (1 - exp(-t / tau_th)) during a pulse that starts cold."""
    th = device.thermal
    t_stage = th.stage_temperature if stage_temperature is None else stage_temperature
    t_ss = steady_temperature(device, current, t_stage)
    rise = (t_ss - t_stage) if math.isfinite(t_ss) else 10 * th.failure_temperature
    return t_stage + rise * -np.expm1(-np.asarray(times) / th.thermal_time_constant)


def pulse_energy(device: DeviceParameters, current: float, width: float,
                 stage_temperature: float | None = None) -> tuple[float, float]:
    """Energy (J) a rectangular pulse dissipates between the V_xx probes, and the
    resistance (ohm) there at its end.

    E = I^2 integral of R(T(t)) dt over the pulse, R the channel resistance (the section
    of length L between the V_xx probes) at the bar's temperature as it warms with the
    thermal time constant. This is what I V t_p gives with the voltage a 6221 pulse-delta
    reading takes across those probes at the end of the pulse, once the pulse is much
    longer than the thermal time constant (then E = I^2 R_end t_p)."""
    return _pulse_energy(device, current, width, stage_temperature)


@lru_cache(maxsize=4096)
def _pulse_energy(device: DeviceParameters, current: float, width: float,
                  stage_temperature: float | None) -> tuple[float, float]:
    th = device.thermal
    transient = min(width, 8 * th.thermal_time_constant)
    times = np.linspace(0.0, transient, 33)
    temps = temperature_during_pulse(device, current, times, stage_temperature)
    r = np.array([channel_resistance(device, min(float(t), 2 * th.failure_temperature))
                  for t in temps])
    integral = float(np.sum(0.5 * (r[1:] + r[:-1]) * np.diff(times)))
    integral += float(r[-1]) * max(width - transient, 0.0)
    return current**2 * integral, float(r[-1])

