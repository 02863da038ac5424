"""RF on the simulated bench: what an RF generator's output does to the bar.

The generator model (``instruments.agilent8257d``) only keeps its settings and says
what leaves its output (:class:`RFOutput`); this module turns that into the current in
the bar (``RFCircuit``: mismatch, line loss, pads), its heating (the bar burns open
above the failure temperature), and the voltages a lock-in referenced to the
generator's LF output sees: the CW rectified voltage of ``labspin.physics.stfmr``
times the first (and second) harmonic of the AM envelope's square.

AM envelope A(t) = A0 (1 + d s(t)): the rectified voltage follows A(t)^2 (linear
response; the bar's thermal time of tens of ns follows the envelope too), so
V(t) = V_cw (1 + 2 d s + d^2 s^2). A lock-in locked to s reads the first harmonic
2 d c_1 V_cw (c_1 = 1, 4/pi, 8/pi^2 for a sine, square or triangle s); for a sine,
-(d^2 / 2) V_cw cos(2 w t) is its second harmonic. Other shapes (ramp, noise...) are
not simulated: the lock-in then reads no signal. The DC voltmeters do not see the RF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from labspin.physics.properties import steady_temperature
from labspin.physics.stfmr import RFResponse, rf_response

#: first-harmonic coefficient c_1 and mean of s^2 of each simulated AM shape
ENVELOPES = {"SINE": (1.0, 0.5), "SQU": (4 / math.pi, 1.0), "TRI": (8 / math.pi**2, 1 / 3)}


@dataclass(frozen=True)
class RFOutput:
    """What leaves a generator: carrier frequency (Hz), level (dBm), AM envelope."""

    frequency: float
    power_dbm: float
    shape: str | None = None  # AM shape ("SINE", "SQU", "TRI"...) or None for CW
    depth: float = 0.0  # AM depth, 0..1

    @property
    def mean_power_factor(self) -> float:
        """Mean power over the envelope, in units of the CW level."""
        if self.shape is None:
            return 1.0
        mean_square = ENVELOPES.get(self.shape, (0.0, 0.5))[1]
        return 1.0 + self.depth**2 * mean_square


def outputs(bench: Any) -> list[RFOutput]:
    """The RF reaching the bar from every generator whose output is on."""
    return [out for model in getattr(bench, "rf_sources", {}).values()
            if (out := model.rf_output()) is not None]


def reference_frequency(bench: Any) -> float | None:
    """The AM rate a generator's LF output sends to the lock-ins' reference input."""
    for model in getattr(bench, "rf_sources", {}).values():
        rate = model.reference_frequency()
        if rate is not None:
            return rate
    return None


def bar_current(bench: Any, out: RFOutput) -> float:
    """Peak RF current in the bar at the carrier level (A)."""
    return bench.rf_circuit.bar_current(out.power_dbm, out.frequency,
                                        bench.two_terminal_resistance())


def check_burn(bench: Any) -> None:
    """Burn the bar open when the RF (with any DC current) heats it past failure."""
    device = bench.device
    if device.is_open:
        return
    heating = bench.dc_current() ** 2
    for out in outputs(bench):
        heating += 0.5 * bar_current(bench, out) ** 2 * out.mean_power_factor
    if heating == 0:
        return
    params = device.params
    temperature = steady_temperature(params, math.sqrt(heating), device.stage_temperature)
    if temperature >= params.thermal.failure_temperature:
        device.burnt = True


def response(bench: Any, out: RFOutput, contacts: str) -> RFResponse:
    """The CW rectified voltages on ``contacts`` for the present field and DC current."""
    device = bench.device
    dc = bench.dc_current()
    key = (tuple(bench.sample_field()), out, dc, device.stage_temperature, contacts,
           device.mean_state, bench.two_terminal_resistance())
    cache = bench.__dict__.setdefault("_rf_cache", {})
    if key not in cache:
        cache.clear()
        cache[key] = rf_response(
            device.params, bench.sample_field(), out.frequency, bar_current(bench, out),
            dc_current=dc, stage_temperature=device.stage_temperature,
            mean_power_factor=out.mean_power_factor, m_start=device.magnetization(dc),
            broadening=getattr(bench, "rf_broadening", None),
            stray_field=bench.rf_circuit.stray_field, contacts=contacts)
    return cache[key]


def harmonic_voltages(bench: Any, contacts: str) -> tuple[float, float]:
    """(V_1, V_2) peak at the AM rate and twice it, as ``Bench.harmonic_voltages``
    reports them for a sine current (V = V_0 + V_1 sin wt - V_2 cos 2wt)."""
    check_burn(bench)
    if bench.device.is_open:
        return 0.0, 0.0
    v_1 = v_2 = 0.0
    for out in outputs(bench):
        if out.shape not in ENVELOPES or out.depth == 0:
            continue  # CW (or an unsimulated shape): only a DC voltage, no AM signal
        v_cw = response(bench, out, contacts).total
        v_1 += 2 * out.depth * ENVELOPES[out.shape][0] * v_cw
        if out.shape == "SINE":
            v_2 += 0.5 * out.depth**2 * v_cw
    return float(v_1), float(v_2)


def cone_angle(bench: Any) -> float:
    """Largest precession amplitude (rad) any RF output drives now (0 without RF)."""
    return max((abs(response(bench, out, "xx").cone) for out in outputs(bench)),
               default=0.0) if not bench.device.is_open else 0.0

