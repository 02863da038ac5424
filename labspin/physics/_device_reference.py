"""The numpy implementation of the bar's switching and readout, kept as the reference.

``Device`` runs the compiled kernels (``_activation_kernels``, ``_quasistatic_kernels``).
:class:`ReferenceDevice` is the same bar computed the way it was before they existed,
straight from :mod:`labspin.physics.activation` and :mod:`labspin.physics.readout`, one
numpy call at a time. ``tests/physics/test_compiled_device.py`` drives both through the
same seeded histories and holds every output to 1e-12; change the physics here and in
the kernels together.
"""

from __future__ import annotations

import math

import numpy as np

from labspin.physics import activation, readout
from labspin.physics.device import (
    _SINE_SAMPLES,
    _SINE_WEIGHTS,
    Device,
    HarmonicVoltages,
)
from labspin.physics.properties import DeviceProperties, properties_at


def reversed_share(q: np.ndarray, out: np.ndarray, back: np.ndarray,
                   duration: float) -> np.ndarray:
    """Probability to be in the other well after ``duration`` at constant rates, from
    ``q``: the two-state master equation, q -> q_eq + (q - q_eq) exp(-(out + back) t),
    written as q e^-x + q_eq (1 - e^-x) with expm1 so that a small share keeps its digits
    (q_eq + (q - q_eq) e^-x left it with an absolute error of 1e-16 q_eq)."""
    total = out + back
    if duration <= 0:
        return q
    with np.errstate(invalid="ignore", divide="ignore"):
        q_eq = np.where(total > 0, out / np.where(total > 0, total, 1.0), q)
    x = -total * duration
    return q * np.exp(x) - q_eq * np.expm1(x)


class ReferenceDevice(Device):
    """``Device`` with its switching and readout computed in numpy."""

    # -- readout ----------------------------------------------------------------------
    def resistances(self, current: float) -> readout.Resistances:
        if self.burnt:
            return readout.Resistances(math.inf, math.inf)
        props = self._properties(current)
        xx = xy = 0.0
        for s, m in self._branch_magnetizations(props, current).items():
            share = float(np.mean(self.states == s))
            r = readout.resistances(self.params, props, m, current, self.field[2])
            xx += share * r.xx
            xy += share * r.xy
        return readout.Resistances(float(xx), float(xy))

    def voltages(self, current: float) -> tuple[float, float]:
        if self.burnt:
            return math.inf, math.inf
        props = self._properties(current)
        v_xx = v_xy = 0.0
        for s, m in self._branch_magnetizations(props, current).items():
            share = float(np.mean(self.states == s))
            r = readout.resistances(self.params, props, m, current, self.field[2])
            n_xx, n_xy = readout.nernst_voltages(self.params, m, current)
            v_xx += share * (current * r.xx + n_xx)
            v_xy += share * (current * r.xy + n_xy)
        return v_xx, v_xy

    def harmonic_voltages(self, amplitude: float, n_phase: int = 32) -> HarmonicVoltages:
        phases = 2 * np.pi * np.arange(n_phase) / n_phase
        currents = np.round(amplitude * np.sin(phases), 15)
        cache: dict[float, tuple[float, float]] = {}
        v = np.array([cache.setdefault(i, self.voltages(i)) if i not in cache else cache[i]
                      for i in currents])
        xx1, xx2 = readout.harmonic_projection(v[:, 0])
        xy1, xy2 = readout.harmonic_projection(v[:, 1])
        return HarmonicVoltages(xx1, xx2, xy1, xy2)

    # -- switching --------------------------------------------------------------------
    def _escape_rates(self, props: DeviceProperties, current: float,
                      states: np.ndarray | None = None) -> np.ndarray:
        terms = self._terms(props, current)
        delta = activation.barrier(self.params, props,
                                   self.states if states is None else states,
                                   terms.b_applied, terms.b_dl, self.barrier_scale,
                                   self.nucleation_scale)
        return activation.escape_rate(self.params, delta)

    def _rate_pair(self, props: DeviceProperties, current: float,
                   states: np.ndarray | None = None) -> np.ndarray:
        return np.array([self._escape_rates(props, current),
                         self._escape_rates(props, current, -self.states)])

    def wait(self, duration: float, current: float = 0.0, ac_amplitude: float = 0.0) -> int:
        if duration <= 0 or self.burnt:
            return 0
        heating = math.hypot(current, ac_amplitude / math.sqrt(2))
        t = self.temperature(heating)
        if t >= self.params.thermal.failure_temperature:
            self.burnt = True
            return 0
        props = self._properties(heating)
        if ac_amplitude:
            out, back = np.tensordot(_SINE_WEIGHTS, [
                self._rate_pair(props, current + ac_amplitude * s) for s in _SINE_SAMPLES],
                axes=1)
        else:
            out, back = self._rate_pair(props, current)
        flipped = self._flip(reversed_share(np.zeros_like(out), out, back, duration))
        if flipped:
            self._update_branches()
        return flipped

    def _pulse_reversal(self, amplitude: float, width: float, times: np.ndarray,
                        temps: np.ndarray) -> np.ndarray:
        pairs = np.array([self._rate_pair(properties_at(self.params, t), amplitude)
                          for t in temps])  # (k, 2, n)
        q = np.zeros(self.states.size)
        for k in range(len(times) - 1):
            mid = 0.5 * (pairs[k] + pairs[k + 1])
            q = reversed_share(q, mid[0], mid[1], times[k + 1] - times[k])
        return reversed_share(q, pairs[-1][0], pairs[-1][1], max(width - times[-1], 0.0))
