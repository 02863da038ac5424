"""A read current's sine does not shift a loop; a DC current does (PHYSICS.md, Readout).

An AC read current heats the bar by its rms value, but its damping-like torque follows
the instantaneous current and averages out over the many periods of a field step. Before
this was modelled, the simulated bench handed thermal activation the rms current as if
it were DC: a USMR loop of py-nio read at 1.3e11 A/m^2 came out shifted by about 0.16 mT
(3 % of B_c), with the sign of the stack, i.e. a fake exchange bias.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from labspin.analysis.models.loops import fit_hysteresis_loop
from labspin.physics import Device, preset, spin_transport
from labspin.procedures import procedure_class
from labspin.simulated_instruments.bench import Bench
from tests.procedures.harness import run

STEP = 0.5e-3  # T, field step of the loops below


def usmr_loop_shift(open_station, flipped: bool, density: float, seed: int = 1) -> dict:
    station = open_station("py-nio", seed=seed)
    if flipped:  # the same bar grown the other way up: the torque changes sign
        station.bench.device = Device(preset("py-nio").flipped(), seed=seed)
    proc = procedure_class("USMRLoop")()
    proc.set_parameters({"field_max": 0.012, "field_step": STEP, "current_density": density})
    data = run(proc, station)
    return fit_hysteresis_loop(data["Field (T)"], data["R_xx 2w (ohm)"], data["Branch"])


@pytest.mark.parametrize("density", [1.3e11, 0.65e11])
def test_usmr_loop_read_by_a_sine_has_no_loop_shift_for_either_stack(open_station, density):
    normal = usmr_loop_shift(open_station, False, density)
    flipped = usmr_loop_shift(open_station, True, density)
    for fit in (normal, flipped):
        # a threshold between two field steps is not known better than step / sqrt 12
        sigma = math.hypot(fit["exchange_bias_stderr"], STEP / math.sqrt(12) / math.sqrt(2))
        assert abs(fit["exchange_bias"]) < 2 * sigma
        assert fit["coercivity"] > 4e-3  # the loop is there and switches
    # Same seed, same thermal history: only the torque's sign differs between the two.
    # With the sine acting as DC the two differed by 0.35 mT at 1.3e11 A/m^2.
    assert abs(normal["exchange_bias"] - flipped["exchange_bias"]) < 20e-6


def dc_loop_centres(current: float, seed: int = 3) -> float:
    """Exchange bias (T) of an easy-axis (y) loop of py-nio with a DC ``current`` flowing
    through the bar all the time (the loop-shift method, Pai et al., PRB 93, 144409
    (2016)), from the grains' state after each 0.2 s field step."""
    bench = Bench("py-nio", seed=seed)
    coil = bench.coils["y"]
    coil.output_enabled = True
    bench.set_source("bias", dc=current)
    fields = np.concatenate([np.arange(0.012, -0.012, -STEP), np.arange(-0.012, 0.012, STEP)])
    states = []
    for b in fields:
        coil.setpoint = b / coil.coil_constant
        bench.advance(0.2)
        states.append(bench.device.mean_state)
    states = np.array(states)
    branch = np.where(np.arange(fields.size) < fields.size // 2, -1, 1)
    fit = fit_hysteresis_loop(fields, states, branch)
    return fit["exchange_bias"]


def test_a_dc_current_shifts_the_loop_against_its_damping_like_field():
    """B_DL > 0 drives m towards +y (labspin.physics.torque): a current with B_DL > 0
    acts like a field along +y, so the loop moves to negative applied fields."""
    params = preset("py-nio")
    current = 6e-3  # 9.6e10 A/m^2 of the 5 um x 5 nm bar, 0.1 of the switching current
    b_dl = spin_transport(params).b_dl_per_ampere * current
    shift_plus, shift_minus = dc_loop_centres(current), dc_loop_centres(-current)
    assert math.copysign(1.0, shift_plus - shift_minus) == -math.copysign(1.0, b_dl)
    assert abs(shift_plus - shift_minus) > 2 * STEP  # well beyond the field step


def test_a_dc_current_shifts_the_hall_loop_of_a_perpendicular_magnet_with_the_right_sign():
    """Pai et al.'s loop shift: with an in-plane field B_x tilting m, the damping-like field
    B_DL m x y has a z component B_DL m_x, which acts like an out-of-plane field of the sign
    of B_DL B_x: the anomalous-Hall loop moves the other way."""
    params = preset("cofeb-nio-pma")
    b_x, current = 0.02, 2e-3
    b_dl = spin_transport(params).b_dl_per_ampere * current

    def hall_loop_shift(i: float) -> float:
        bench = Bench("cofeb-nio-pma", seed=3)
        coil_x, coil_z = bench.coils["x"], bench.coils["z"]
        coil_x.output_enabled = coil_z.output_enabled = True
        coil_x.setpoint = b_x / coil_x.coil_constant
        bench.set_source("bias", dc=i)
        fields = np.concatenate([np.arange(0.02, -0.02, -STEP), np.arange(-0.02, 0.02, STEP)])
        r_xy = []
        for b in fields:
            coil_z.setpoint = b / coil_z.coil_constant
            bench.advance(0.2)
            r_xy.append(bench.device.resistances(1e-4).xy)
        branch = np.where(np.arange(fields.size) < fields.size // 2, -1, 1)
        return fit_hysteresis_loop(fields, np.array(r_xy), branch)["exchange_bias"]

    plus, minus = hall_loop_shift(current), hall_loop_shift(-current)
    assert math.copysign(1.0, plus - minus) == -math.copysign(1.0, b_dl * b_x)
    assert abs(plus - minus) > STEP  # 0.6 mT; without current the loop is centred
    assert abs(hall_loop_shift(0.0)) < 0.1 * abs(plus - minus)
