"""Pulse energy measured through the 6221's pulse delta (PHYSICS.md, Readout).

The 2182A reads the voltage across the V_xx probes at the end of each pulse, so I V t_p
includes the bar's resistance hot from the pulse. Known answers: the device model's
resistance between the probes at the bar's steady temperature (a 1 ms pulse lasts 20 000
thermal time constants) and ``labspin.physics.properties.pulse_energy``. Where nothing
reads the bar (81160A pulses, or the 2182A's channel 1 on the Hall pair) the columns
say so: NaN voltage and the I^2 R_2t t_p estimate, flagged.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from labspin.physics.properties import pulse_energy, steady_temperature
from labspin.procedures import procedure_class
from labspin.station import Station, default_sim_config

from .harness import assert_bench_safe, run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice


@pytest.fixture
def xx_station():
    """The built-in station with the 2182A's channel 1 (read by pulse delta) on xx."""
    config = default_sim_config("py-nio", 3)
    meter = config.instruments["voltmeter"].model_copy(update={"wiring": {"1": "xx",
                                                                          "2": "xy"}})
    config = config.model_copy(update={"instruments": {**config.instruments,
                                                       "voltmeter": meter}})
    station = Station(config, sim=True, seed=3, preset="py-nio")
    station.connect()
    yield station
    station.close()


def switching_loop(**parameters):
    proc = procedure_class("SwitchingLoop")()
    proc.set_parameters({"max_pulse_current": 0.03, "pulse_steps": 5, "pulse_width": 1e-3,
                         "readout": "R_xx 2w", **parameters})
    return proc


def test_pulse_delta_measures_the_hot_bar_and_the_energy_of_each_pulse(xx_station):
    proc = switching_loop()
    data = run(proc, xx_station)
    assert_bench_safe(xx_station)
    assert "V measured across the V_xx probes" in proc.energy_method
    params = xx_station.bench.device.params
    pulses = data[data["Pulse current (A)"] != 0]
    assert (pulses["Pulse energy measured"] == 1).all()
    for current, volts, energy in zip(pulses["Pulse current (A)"],
                                      pulses["Pulse voltage (V)"],
                                      pulses["Pulse energy (J)"], strict=True):
        expected_energy, r_end = pulse_energy(params, current, 1e-3)
        # V = I R(T_hot) with the 2182A's noise; AMR/SMR/USMR add well under 1 %
        assert volts == pytest.approx(current * r_end, rel=0.01)
        assert energy == pytest.approx(abs(current * volts) * 1e-3)
        assert energy == pytest.approx(expected_energy, rel=0.01)
    # the bar is hot: at 30 mA it is 60 K above the stage, its resistance 12 % up
    hot = pulses.loc[pulses["Pulse current (A)"].abs().idxmax()]
    cold_r = xx_station.bench.device.resistances(1e-4).xx
    assert steady_temperature(params, 0.03) - 300 > 40
    assert abs(hot["Pulse voltage (V)"] / hot["Pulse current (A)"]) > 1.08 * cold_r
    zero = data[data["Pulse current (A)"] == 0]
    assert (zero["Pulse energy (J)"] == 0).all() and zero["Pulse voltage (V)"].isna().all()


def test_without_the_bar_on_channel_1_the_energy_is_the_flagged_estimate(open_station):
    station = open_station("py-nio")  # the built-in station: 2182A channel 1 on xy
    proc = switching_loop()
    data = run(proc, station)
    r_2t = proc.resistance_used
    pulses = data[data["Pulse current (A)"] != 0]
    assert pulses["Pulse voltage (V)"].isna().all()
    assert (pulses["Pulse energy measured"] == 0).all()
    assert pulses["Pulse energy (J)"].to_numpy() == pytest.approx(
        pulses["Pulse current (A)"].to_numpy() ** 2 * r_2t * 1e-3)
    assert "estimate" in proc.energy_method and "channel 1" in proc.energy_method


def test_generator_pulses_have_no_pulse_voltage(xx_station):
    proc = procedure_class("PulseSequence")()
    proc.set_parameters({"sequence": "+30 mA x 1 ms, -20 mA x 20 us", "readout": "R_xx 2w"})
    data = run(proc, xx_station)
    assert_bench_safe(xx_station)
    source, generator = data.iloc[1], data.iloc[2]
    assert source["Pulse energy measured"] == 1 and math.isfinite(source["Pulse voltage (V)"])
    assert generator["Pulse energy measured"] == 0
    assert math.isnan(generator["Pulse voltage (V)"])
    assert generator["Pulse energy (J)"] == pytest.approx(0.02**2 * proc.resistance_used
                                                          * 20e-6)
    assert "81160A" in proc.energy_method and "2e-05 s" in proc.energy_method
    assert np.isnan(data.iloc[0]["Pulse voltage (V)"])  # row 0: the state before any pulse
