"""Fast repetitions of one simulated run, for the coverage tests of the fitted sigmas.

A bar of the physics model is an ensemble of grains; one pulse (or the time spent at one
field) reverses each grain still in its start state with a probability the Device
computes (``Device._pulse_reversal``, ``Device._escape_rates``: the same calculation
``apply_pulse`` and ``wait`` draw from). The tables below hold those probabilities for
every step of a sweep, once per bar; a repetition then draws a new thermal history
(which grains reverse at which step) and new read noise, exactly as the Device would with
another seed, at a thousandth of the cost. The truth is the model's single-step 50 %
threshold of that bar, from the grain-averaged probabilities: independent of the fit.
"""

from __future__ import annotations

import numpy as np

from labspin.physics import Device
from labspin.physics.properties import temperature_during_pulse


def pulse_table(params, amplitudes, width: float, *, seed: int = 0, state: int = 1,
                field=(0.0, 0.0, 0.0)) -> np.ndarray:
    """[step, grain]: the chance that one pulse of each amplitude reverses a grain of the
    bar (seed ``seed``) that is still in ``state``."""
    device = Device(params, seed=seed, initial_state=state)
    device.set_field(field)
    th = params.thermal
    times = np.linspace(0.0, min(width, 8 * th.thermal_time_constant), 33)
    return np.array([device._pulse_reversal(
        a, width, times, temperature_during_pulse(params, a, times, device.stage_temperature))
        for a in amplitudes])


def dwell_table(params, fields, axis: int, dwell: float, *, seed: int = 0, state: int = 1,
                current: float = 0.0) -> np.ndarray:
    """[step, grain]: the chance that ``dwell`` seconds at each field along ``axis`` (with
    a DC ``current``) reverse a grain still in ``state``."""
    device = Device(params, seed=seed, initial_state=state)
    props = device._properties(current)
    states = np.full(device.states.size, state, dtype=np.int8)
    out = []
    for b in fields:
        vector = np.zeros(3)
        vector[axis] = b
        device.field = vector
        out.append(-np.expm1(-device._escape_rates(props, current, states) * dwell))
    return np.array(out)


def single_step_threshold(table: np.ndarray, x: np.ndarray) -> float:
    """Where the grain-averaged single-step probability crosses 1/2 (interpolated in
    log(-log(1 - P)), linear for thermal activation); ``x`` in sweep order."""
    p = table.mean(axis=1)
    k = int(np.argmax(p >= 0.5))
    hazard = np.log(-np.log1p(-np.clip(p[k - 1:k + 1], 1e-300, 1 - 1e-16)))
    return float(x[k - 1] + (x[k] - x[k - 1]) * (np.log(np.log(2)) - hazard[0])
                 / (hazard[1] - hazard[0]))


def current_loop(up: np.ndarray, down: np.ndarray, amplitudes: np.ndarray,
                 rng: np.random.Generator, level: float, noise: float):
    """A SwitchingLoop (0 -> +max -> -max -> 0, procedures.switching.loop_amplitudes)
    of a bar starting in state +1; ``up[k]`` reverses +1 -> -1 at +amplitudes[k],
    ``down[k]`` -1 -> +1 at -amplitudes[k]; readout level * mean state + noise."""
    n = up.shape[1]
    state = np.ones(n)
    top = len(amplitudes) - 1
    sequence = ([(k, 1) for k in range(0, top)] + [(k, -1) for k in range(top, -top, -1)]
                + [(k, 1) for k in range(-top, 1)])
    x, y, branch = [], [], []
    for k, direction in sequence:
        if k:
            table, start = (up[k], 1) if k > 0 else (down[-k], -1)
            flips = (state == start) & (rng.random(n) < table)
            state[flips] = -start
        x.append(np.sign(k) * amplitudes[abs(k)])
        y.append(level * state.mean() + rng.normal(0.0, noise))
        branch.append(direction)
    return np.array(x), np.array(y), np.array(branch)


def field_loop(down: np.ndarray, up: np.ndarray, fields: np.ndarray,
               rng: np.random.Generator, level: float, noise: float):
    """A field loop from +max (``fields`` in that order) down and back up, bar starting
    in +1; ``down[k]`` reverses +1 -> -1 at fields[k], ``up[k]`` -1 -> +1 there."""
    n = down.shape[1]
    state = np.ones(n)
    x, y, branch = [], [], []
    for order, table, start, direction in ((slice(None), down, 1, -1),
                                           (slice(None, None, -1), up, -1, 1)):
        for b, p in zip(fields[order], table[order], strict=True):
            flips = (state == start) & (rng.random(n) < p)
            state[flips] = -start
            x.append(b)
            y.append(level * state.mean() + rng.normal(0.0, noise))
            branch.append(direction)
    return np.array(x), np.array(y), np.array(branch)


def z_scores(results: list[dict], key: str, truth: float | list[float]) -> np.ndarray:
    """(value - truth) / sigma of ``key`` over the fits that determined it."""
    truths = np.broadcast_to(np.asarray(truth, dtype=float), (len(results),))
    return np.array([(r[key] - t) / r[f"{key}_stderr"] for r, t in zip(results, truths,
                                                                        strict=True)
                     if np.isfinite(r[key])])


def assert_calibrated(z: np.ndarray, n_min: int, label: str = "", *,
                      upper: float = 0.9) -> None:
    """About 68 % within 1 sigma and 95 % within 2 (bands for 40-100 repetitions), and a
    sigma not absurdly large (median |z| not far below 0.67). ``upper`` bounds the
    1-sigma share: a sigma whose dispersion rests on very few degrees of freedom is
    widened (thresholds.t_widening) and covers more."""
    assert z.size >= n_min, f"{label}: only {z.size} determined of {n_min}"
    one, two, median = np.mean(np.abs(z) < 1), np.mean(np.abs(z) < 2), np.median(np.abs(z))
    text = f"{label}: 1 sigma {one:.2f}, 2 sigma {two:.2f}, median |z| {median:.2f}"
    assert 0.5 <= one <= upper, text
    assert two >= 0.85, text
    assert median >= (0.3 if upper <= 0.9 else 0.2), text
