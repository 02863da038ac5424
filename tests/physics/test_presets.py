"""The presets meet the calibration written beside them (presets.py)."""

import math

import numpy as np
import pytest

from labspin.physics import Device, predict, preset
from labspin.physics.predictions import critical_current


@pytest.fixture(scope="module")
def predictions():
    return {name: predict(preset(name), (1e-6, 1e-3)) for name in ("py-nio", "pt-py")}


def test_py_nio_switches_with_us_to_ms_pulses_at_realistic_densities(predictions):
    for width in (1e-6, 1e-3):
        j = predictions["py-nio"].at(width).current_density
        assert 1e11 <= j <= 5e12
    # longer pulses need less current (thermal activation)
    assert predictions["py-nio"].at(1e-3).current < predictions["py-nio"].at(1e-6).current


def test_py_nio_torque_is_comparable_to_a_heavy_metal(predictions):
    xi_nio, xi_pt = abs(predictions["py-nio"].xi_dl), abs(predictions["pt-py"].xi_dl)
    assert 0.02 <= xi_nio <= 0.06
    assert 0.4 <= xi_nio / xi_pt <= 1.5


def test_pt_py_needs_about_three_times_the_switching_energy(predictions):
    ratio = predictions["pt-py"].at(1e-6).energy / predictions["py-nio"].at(1e-6).energy
    assert 2.3 <= ratio <= 3.7


@pytest.mark.parametrize("state", [1, -1])
@pytest.mark.parametrize("sign", [1, -1])
def test_usmr_read_current_does_not_switch_py_nio(state, sign):
    params = preset("py-nio")
    i_read = 1.3e11 * params.hall_bar.width * params.ferromagnet.thickness
    dev = Device(params, seed=11, initial_state=state)
    for _ in range(100):  # 100 reads of 10 s at the read current
        dev.wait(10.0, current=sign * i_read)
    assert dev.mean_state == state


def test_py_alox_never_switches_in_a_chosen_sense_below_its_failure_current():
    params = preset("py-alox")
    for width in (1e-6, 1e-3):
        assert math.isinf(critical_current(params, width))
    # no torque and no Oersted field: both polarities act alike at every amplitude
    dev = Device(params, seed=5)
    for amplitude in np.linspace(0.005, 0.06, 12):
        forward = dev.switching_probability(amplitude, 1e-6)
        backward = dev.switching_probability(-amplitude, 1e-6)
        assert forward == backward or (math.isnan(forward) and math.isnan(backward))
    # and well below the failure current nothing reverses at all
    for amplitude in np.arange(0.002, 0.04, 0.002):
        for sign in (1, -1):
            assert not dev.apply_pulse(sign * amplitude, 1e-6).burnt
            assert dev.mean_state == 1.0, f"reversed at {amplitude * 1e3:.0f} mA"
    assert dev.apply_pulse(0.2, 1e-6).burnt and dev.is_open


def switched_state(params, current: float, field=(0.0, 0.0, 0.0)) -> float:
    dev = Device(params, seed=2, initial_state=1)
    dev.set_field(field)
    dev.apply_pulse(-current, 1e-6)
    dev.apply_pulse(current, 1e-6)
    return dev.mean_state


def test_switching_sense_is_set_by_the_stack_order():
    params = preset("py-nio")
    current = 1.3 * critical_current(params, 1e-6)
    assert switched_state(params, current) == -1.0  # sink on top: +I drives m to -y
    assert switched_state(params.flipped(), current) == 1.0


def test_perpendicular_magnet_needs_an_in_plane_bias_whose_sign_sets_the_sense():
    params = preset("cofeb-nio-pma")
    current = 1.2 * critical_current(params, 1e-6, field=(0.01, 0.0, 0.0))
    up_bias = switched_state(params, current, (0.01, 0.0, 0.0))
    down_bias = switched_state(params, current, (-0.01, 0.0, 0.0))
    assert {up_bias, down_bias} == {1.0, -1.0}
    # without bias the current has no preferred sense: both polarities act alike (only
    # Joule heating reverses a few grains, at random)
    dev = Device(params, seed=2, initial_state=1)
    forward = dev.switching_probability(current, 1e-6)
    assert forward == dev.switching_probability(-current, 1e-6)
    assert forward < 0.2
