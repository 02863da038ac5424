"""What the model predicts for a device: torque, damping, critical currents, energies.

``labspin demo`` prints these for every preset; the presets' calibration (presets.py)
is checked against them; the analysis compares fitted values with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from labspin.physics.device import Device
from labspin.physics.formulas import antidamping_threshold_inplane, lee_threshold_perpendicular
from labspin.physics.parameters import DeviceParameters
from labspin.physics.properties import properties_at, pulse_energy, temperature_during_pulse


@dataclass(frozen=True)
class SwitchingPrediction:
    """Pulse switching at one width: the current that switches half the bar."""

    pulse_width: float  # s
    current: float  # A, magnitude; inf if the bar fails first
    current_density: float  # A/m^2 through the conducting stack
    energy: float  # J per switching event, I^2 integral of R dt, R hot (see predict)
    peak_temperature: float  # K


@dataclass(frozen=True)
class DevicePrediction:
    name: str
    stack: str
    xi_dl: float
    damping: float
    threshold_density: float  # zero-temperature J_c0, A/m^2
    switching: tuple[SwitchingPrediction, ...]

    def at(self, pulse_width: float) -> SwitchingPrediction:
        return min(self.switching, key=lambda s: abs(math.log(s.pulse_width / pulse_width)))


def _destabilising_sign(device: Device, state: int) -> float:
    """Sign of the current that pushes grains out of ``state``."""
    props = properties_at(device.params, device.stage_temperature)
    from labspin.physics.activation import current_drive

    drive = current_drive(device.params, props, np.array([state]), device.field,
                          props.transport.b_dl_per_ampere)
    return 1.0 if drive[0] > 0 else -1.0


def critical_current(params: DeviceParameters, pulse_width: float, state: int = 1,
                     field: tuple[float, float, float] | None = None,
                     rel_tol: float = 1e-3) -> float:
    """Smallest pulse current (A, magnitude) that *deterministically* reverses half of the
    grains starting in ``state``: the reversal probability with the destabilising
    polarity minus that with the other polarity reaches 1/2. Heat alone, near the
    failure temperature, reverses grains whatever the polarity and does not count.
    ``math.inf`` if no current does it before the bar burns open."""
    device = Device(params, seed=0, initial_state=state)
    if field is not None:
        device.set_field(field)
    if device.mean_state != state:
        return math.inf  # the field alone already reverses the bar
    sign = _destabilising_sign(device, state)

    def selectivity(i: float) -> float:
        forward = device.switching_probability(sign * i, pulse_width)
        return forward - device.switching_probability(-sign * i, pulse_width)

    lo, hi = 0.0, 1e-4
    while True:
        p = selectivity(hi)
        if math.isnan(p):
            return math.inf
        if p >= 0.5:
            break
        lo, hi = hi, hi * 1.05
        if hi > 10.0:
            return math.inf
    while (hi - lo) > rel_tol * hi:
        mid = 0.5 * (lo + hi)
        p = selectivity(mid)
        if not math.isnan(p) and p >= 0.5:
            hi = mid
        else:
            lo = mid
    return hi


def activation_threshold(params: DeviceParameters, temperature: float | None = None) -> float:
    """I_c0 (A) of the thermal-activation law at ``temperature`` (default: the stage),
    the current where its barrier extrapolates to zero, Delta = Delta_0 (1 - I/I_c0)
    (``labspin.physics.activation``): for an in-plane magnet Liu's threshold over the
    orbit average <1/r> of the Apalkov-Visscher barrier, for a perpendicular one the Lee
    threshold at zero bias. This is what a fit of I_50 against ln(t_p) returns for a bar
    held at that temperature."""
    from labspin.physics.activation import threshold_profile

    t = params.thermal.stage_temperature if temperature is None else temperature
    props = properties_at(params, t)
    b_dl = abs(props.transport.b_dl_per_ampere)
    if b_dl == 0:
        return math.inf
    if abs(params.ferromagnet.easy_axis[1]) > 0.7:
        b_k, m_eff = props.anisotropy_field, props.demag_field
        liu = props.damping * (b_k + m_eff / 2) / b_dl
        return float(liu / np.mean(1.0 / threshold_profile(b_k / (b_k + m_eff))))
    return float(props.anisotropy_field / 2 / b_dl)


def zero_temperature_threshold(params: DeviceParameters) -> float:
    """Analytic J_c0 (A/m^2, mean over the conducting stack) at the stage temperature:
    Liu et al. for an easy axis along sigma, Lee et al. (zero bias) otherwise."""
    props = properties_at(params, params.thermal.stage_temperature)
    tr = props.transport
    fm = params.ferromagnet
    if tr.xi_dl == 0:
        return math.inf
    if abs(fm.easy_axis[1]) > 0.7:
        return float(antidamping_threshold_inplane(props.saturation_magnetization,
                                                   fm.thickness, props.damping, tr.xi_dl,
                                                   props.anisotropy_field, props.demag_field))
    return float(lee_threshold_perpendicular(props.saturation_magnetization, fm.thickness,
                                             tr.xi_dl, props.anisotropy_field, 0.0))


def predict(params: DeviceParameters, pulse_widths: tuple[float, ...] = (1e-6, 1e-3),
            field: tuple[float, float, float] | None = None) -> DevicePrediction:
    """Torque, damping and switching at the given pulse widths for one device.

    The energy per switching event is I_c^2 times the integral of R(T(t)) over the pulse,
    R the resistance between the V_xx probes as Joule heating warms the bar
    (``properties.pulse_energy``): for pulses much longer than the thermal time constant
    it is I_c V t_p with V what a pulse-delta reading takes across those probes at the
    end of the pulse, the energy labspin's switching procedures measure."""
    props = properties_at(params, params.thermal.stage_temperature)
    tr = props.transport
    area = params.hall_bar.width * tr.conducting_thickness
    if field is None and abs(params.ferromagnet.easy_axis[2]) > 0.7:
        field = (0.01, 0.0, 0.0)  # a perpendicular magnet needs an in-plane bias
    rows = []
    for width in pulse_widths:
        current = critical_current(params, width, field=field)
        if math.isinf(current):
            rows.append(SwitchingPrediction(width, math.inf, math.inf, math.inf, math.nan))
            continue
        energy, _ = pulse_energy(params, current, width)
        times = np.array([min(width, 8 * params.thermal.thermal_time_constant)])
        peak = float(temperature_during_pulse(params, current, times)[-1])
        rows.append(SwitchingPrediction(width, current, current / area, energy, peak))
    return DevicePrediction(params.name, params.stack_label, tr.xi_dl, tr.damping,
                            zero_temperature_threshold(params), tuple(rows))
