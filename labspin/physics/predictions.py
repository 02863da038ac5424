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
    ``math.inf`` if no current does it before the bar burns open.

    The result is the upper end of a bracket no wider than ``rel_tol`` of it (at most
    ``rel_tol`` above the exact crossing)."""
    device = Device(params, seed=0, initial_state=state)
    if field is not None:
        device.set_field(field)
    if device.mean_state != state:
        return math.inf  # the field alone already reverses the bar
    return ThresholdSearch(device, pulse_width, state, rel_tol).current()


#: relative precision of the thresholds ``predict`` reports: ten times finer than the
#: three digits printed, so that a ratio of two energies (which go as I^2 and more)
#: keeps its printed digits
PREDICTION_TOL = 1e-4
_COARSE, _NEAR, _FINE = 1.5, 1.15, 1.05  # steps: bracket, bracket near a hint, heat scan
_LOWEST, _HIGHEST = 1e-4, 10.0  # A: below, bisect down to zero; above, give up


class ThresholdSearch:
    """Where the selectivity P(destabilising) - P(other polarity) of one bar at one pulse
    width crosses 1/2 (:func:`critical_current`).

    Each evaluation integrates the activation rates of every grain through the pulse
    (``Device.switching_probability``), so the search asks for as few as it can (about
    a dozen, where stepping up by 5 % from 0.1 mA took 250): the current at which the
    pulse would heat the bar to its failure temperature, from the heating law alone, caps
    everything; a bracket on the destabilising probability P alone (monotonic in the
    current, as drive and heat both grow with it; the selectivity cannot reach 1/2
    before P does), started from ``hint`` or half the activation law's I_c0; then a
    secant on ln(-ln(1 - P)), nearly linear in the current for thermally activated
    reversal, each step kept ``rel_tol``/2 inside the bracket so that it closes. Where
    heat reverses both polarities alike, the search steps by 5 % from where P reaches
    1/2 as a scan would, so that it returns the first crossing and never one beyond a
    burn."""

    def __init__(self, device: Device, width: float, state: int, rel_tol: float,
                 hint: float | None = None) -> None:
        self.device, self.width, self.rel_tol = device, width, rel_tol
        self.hint = hint if hint is not None and math.isfinite(hint) and hint > 0 else None
        self.sign = _destabilising_sign(device, state)
        self._cache: dict[float, float] = {}
        self.evaluations = 0

    def _probability(self, current: float) -> float:
        """P(reversal) for a signed current; NaN when the bar burns open."""
        if current not in self._cache:
            self.evaluations += 1
            self._cache[current] = self.device.switching_probability(current, self.width)
        return self._cache[current]

    def forward(self, current: float) -> float:
        return self._probability(self.sign * current)

    def selectivity(self, current: float) -> float:
        p = self.forward(current)
        if math.isnan(p) or p < 0.5:
            return p  # below 1/2 whatever the other polarity does
        return p - self._probability(-self.sign * current)

    def current(self) -> float:
        top = self._burn_limit()
        lo, hi = self._bracket(top)
        if hi is None:  # even the last current before the burn reverses less than half
            return math.inf
        if self.selectivity(hi) >= 0.5:
            return self._refine(self.selectivity, lo, hi)
        # heat alone reverses both polarities by hi: scan up from where P reaches 1/2
        lo = self._refine(self.forward, lo, hi)
        x = lo
        while x < top:
            x = min(x * _FINE, top)
            p = self.selectivity(x)
            if math.isnan(p):
                break
            if p >= 0.5:
                return self._refine(self.selectivity, lo, x)
            lo = x
        return math.inf

    def _burn_limit(self) -> float:
        """Just below the current at which the pulse heats the bar to its failure
        temperature (where ``switching_probability`` is NaN), or 10 A: from the heating
        law alone, at no cost beside one evaluation of the rates."""
        params = self.device.params
        th = params.thermal
        end = np.array([min(self.width, 8 * th.thermal_time_constant)])

        def burns(current: float) -> bool:
            t = temperature_during_pulse(params, current, end, self.device.stage_temperature)
            return not t[-1] < th.failure_temperature

        if not burns(_HIGHEST):
            return _HIGHEST
        lo, hi = 0.0, _HIGHEST
        while hi - lo > 1e-9 * hi:
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if burns(mid) else (mid, hi)
        return lo

    def _start(self, top: float) -> tuple[float, float]:
        """Where the bracket starts, and its step."""
        if self.hint is not None:
            return min(self.hint, top), _NEAR
        try:
            guess = activation_threshold(self.device.params) / 2
        except (ValueError, ZeroDivisionError, FloatingPointError):
            guess = math.nan
        return (min(guess, top) if math.isfinite(guess) and guess > _LOWEST else top), _COARSE

    def _bracket(self, top: float) -> tuple[float, float | None]:
        """(lo, hi) with P(lo) < 1/2 <= P(hi), hi at most ``top``; hi None when P(top)
        is below 1/2 (so is the selectivity, everywhere before the burn)."""
        x, step = self._start(top)
        while not self.forward(x) < 0.5:  # >= 1/2, or NaN
            x /= step
            if x < _LOWEST:
                x = 0.0
                break
        lo = x
        while True:
            hi = min(max(lo * step, _LOWEST), top)
            p = self.forward(hi)
            if p >= 0.5:
                return lo, hi
            if hi >= top or math.isnan(p):
                return lo, None
            lo = hi

    def _refine(self, f, lo: float, hi: float) -> float:
        """Shrink [lo, hi] (f < 1/2 at lo, f >= 1/2 at hi) to ``rel_tol`` of hi."""
        h_lo = _linearised(self.forward(lo)) if lo > 0 else -math.inf
        h_hi = _linearised(f(hi))
        secant, clipped = True, False
        while hi - lo > self.rel_tol * hi:
            margin = 0.5 * self.rel_tol * hi
            # secant steps, until one kept off an end of the bracket leaves it open (P
            # flat at 1/2 where heat balances both wells, or curved): bisect from then on
            secant = secant and not clipped
            x = 0.5 * (lo + hi)
            if secant and math.isfinite(h_lo) and math.isfinite(h_hi) and h_hi > h_lo:
                x = lo + (hi - lo) * -h_lo / (h_hi - h_lo)
                clipped = not lo + margin <= x <= hi - margin
            x = min(max(x, lo + margin), hi - margin)
            if not lo < x < hi:
                x = 0.5 * (lo + hi)
            p = f(x)
            if p >= 0.5:
                hi, h_hi = x, _linearised(p)
            else:
                lo, h_lo = x, _linearised(p)
        return hi


def _linearised(p: float) -> float:
    """ln(-ln(1 - P)) - ln(ln 2): zero at P = 1/2 and, for thermally activated reversal
    (P = 1 - exp(-t/tau), ln tau linear in the current), nearly linear in the current."""
    if math.isnan(p):
        return math.nan
    p = min(max(p, 1e-300), 1 - 1e-16)
    return math.log(-math.log1p(-p)) - math.log(math.log(2.0))


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
    device = Device(params, seed=0, initial_state=1)  # one bar for every width
    if field is not None:
        device.set_field(field)
    rows: dict[float, SwitchingPrediction] = {}
    found = math.inf
    for width in sorted(set(pulse_widths), reverse=True):  # each the next one's start
        current = found = (
            ThresholdSearch(device, width, 1, PREDICTION_TOL, hint=found).current()
            if device.mean_state == 1 else math.inf)
        if math.isinf(current):
            rows[width] = SwitchingPrediction(width, math.inf, math.inf, math.inf, math.nan)
            continue
        energy, _ = pulse_energy(params, current, width)
        times = np.array([min(width, 8 * params.thermal.thermal_time_constant)])
        peak = float(temperature_during_pulse(params, current, times)[-1])
        rows[width] = SwitchingPrediction(width, current, current / area, energy, peak)
    return DevicePrediction(params.name, params.stack_label, tr.xi_dl, tr.damping,
                            zero_temperature_threshold(params),
                            tuple(rows[w] for w in pulse_widths))
