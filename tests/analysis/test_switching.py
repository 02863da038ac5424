"""Current-switching loops of the perpendicular magnet under an in-plane bias field: the
fitted critical currents against the device's own switching probabilities and
labspin.physics.predictions.critical_current."""

import numpy as np
import pytest

from labspin.analysis.models import DataError
from labspin.analysis.models.loops import hysteresis_loop
from labspin.analysis.models.switching import fit_switching_loop
from labspin.physics import Device, preset
from labspin.physics.properties import properties_at

from .helpers import COVERAGE, N_SEEDS, coverage

BIAS = 0.02  # T along x
PULSE = 1e-6  # s
I_MAX, I_STEP = 0.0095, 2.5e-4  # A


def bar():
    """cofeb-nio-pma with heating, with identical grains so that the loop is the
    expected switched share plus binomial noise."""
    params = preset("cofeb-nio-pma")
    return params.with_(kinetics=params.kinetics.with_(grains=200, dispersion=0.0))


def cumulative_half_current(params, state: int, amplitudes: np.ndarray) -> float:
    """Where 1 - prod(1 - p(I_k)) over the pulses of one branch reaches 1/2 (the grains
    that a branch's earlier, smaller pulses already reversed count too)."""
    device = Device(params, seed=0, initial_state=state)
    device.set_field((BIAS, 0.0, 0.0))
    p = np.array([device.switching_probability(a, PULSE) for a in amplitudes])
    share = 1.0 - np.cumprod(1.0 - np.nan_to_num(p))
    k = int(np.argmax(share >= 0.5))
    return float(np.interp(0.5, share[k - 1:k + 1], np.abs(amplitudes[k - 1:k + 1])))


def single_pulse_half_current(params, state: int, sign: float) -> float:
    """|I| at which one pulse reverses half of the grains starting in ``state``."""
    device = Device(params, seed=2, initial_state=state)
    device.set_field((BIAS, 0.0, 0.0))
    lo, hi = 1e-4, I_MAX
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if device.switching_probability(sign * mid, PULSE) > 0.5 \
            else (mid, hi)
    return 0.5 * (lo + hi)


@pytest.fixture(scope="module")
def current_loop():
    params = bar()
    device = Device(params, seed=2)
    device.set_field((BIAS, 0.0, 0.0))
    down = np.arange(I_MAX, -I_MAX - I_STEP / 2, -I_STEP)
    amplitudes, signal, branch = [], [], []
    for sweep, sign in ((down, -1), (down[::-1], 1)):
        for a in sweep:
            device.apply_pulse(a, PULSE)
            amplitudes.append(a)
            signal.append(device.resistances(1e-4).xy)
            branch.append(sign)
    return params, np.array(amplitudes), np.array(signal), np.array(branch)


def test_critical_currents_match_the_device_switching_probability(current_loop):
    params, amps, signal, branch = current_loop
    hb = params.hall_bar
    props = properties_at(params, 300.0)
    r_field_loop = 2 * params.readout.anomalous_hall  # step of the zero-bias field loop
    fit = fit_switching_loop(amps, signal, branch, width=hb.width,
                             thickness=props.transport.conducting_thickness,
                             field_loop_step=r_field_loop)
    # With the bias along +x positive pulses reverse m_z from + to - (the step is down).
    assert fit["step"] < 0
    # I_c is the single-pulse 50 % current (what a probability measurement gives), not
    # the lower current at which the loop is half reversed (earlier pulses add up)
    up = np.arange(0.0, I_MAX + I_STEP / 2, I_STEP)
    single_plus = single_pulse_half_current(params, +1, 1.0)
    single_minus = single_pulse_half_current(params, -1, -1.0)
    assert cumulative_half_current(params, +1, up) < 0.98 * single_plus
    for key, truth in (("i_c_plus", single_plus), ("i_c_minus", -single_minus)):
        assert abs(fit[key] - truth) < 3 * fit[f"{key}_stderr"]
        assert fit[key] == pytest.approx(truth, rel=0.03)
    assert fit["verdict"] == "ok"
    assert fit["j_c_plus"] == pytest.approx(
        fit["i_c_plus"] / (hb.width * props.transport.conducting_thickness))
    # the bias tilts m: the current loop reads only m_z = cos(theta), sin(theta) = B_x/B_K
    tilt = np.sqrt(1 - (BIAS / props.anisotropy_field) ** 2)
    assert fit["switching_ratio"] == pytest.approx(tilt, rel=0.01)


def test_energy_per_event_and_the_field_loop_as_a_fit_result(current_loop):
    params, amps, signal, branch = current_loop
    width, thickness = params.hall_bar.width, params.ferromagnet.thickness
    field_fit = {"step": 4.0, "step_stderr": 0.004}
    fit = fit_switching_loop(amps, signal, branch, width=width, thickness=thickness,
                             field_loop_step=field_fit, resistance=5333.0,
                             pulse_width=PULSE)
    assert fit["energy_plus"] == pytest.approx(fit["i_c_plus"] ** 2 * 5333.0 * PULSE)
    assert fit["energy_plus_stderr"] == pytest.approx(
        2 * abs(fit["i_c_plus"]) * fit["i_c_plus_stderr"] * 5333.0 * PULSE, rel=1e-6)
    assert fit["switching_ratio_stderr"] >= fit["switching_ratio"] * 1e-3 * 0.99
    with pytest.raises(DataError, match="both resistance and pulse_width"):
        fit_switching_loop(amps, signal, branch, width=width, thickness=thickness,
                           resistance=5333.0)


def test_critical_current_errors_cover_the_truth():
    truth = dict(offset=10.0, step=-4.0, center_up=7e-3, center_down=-6.5e-3,
                 width_up=3e-4, width_down=4e-4)
    down = np.linspace(0.01, -0.01, 81)
    x = np.concatenate([down, down[::-1]])
    branch = np.concatenate([-np.ones(down.size), np.ones(down.size)])
    clean = hysteresis_loop(x, branch, **truth)
    fits = [fit_switching_loop(x, clean + np.random.default_rng(s).normal(0, 0.05, x.size),
                               branch, width=5e-6, thickness=1.2e-9, shape="tanh")
            for s in range(N_SEEDS)]
    assert COVERAGE[0] <= coverage(fits, "i_c_plus", truth["center_up"]) <= COVERAGE[1]
    assert COVERAGE[0] <= coverage(fits, "i_c_minus", truth["center_down"]) <= COVERAGE[1]
    assert COVERAGE[0] <= coverage(fits, "j_c_plus", truth["center_up"] / 6e-15) <= COVERAGE[1]
