"""Joule-heating correction of the thermal-activation threshold from a SwitchingProbability
run on the bench (analysis/probability_runs.joule_corrected_fit).

Known answers: the model's threshold of the activation law at the stage temperature
(``labspin.physics.predictions.activation_threshold``), its barrier Delta_0 = 60, and the
bar's steady temperature during the pulses. The run's pulse voltages come from the
6221's pulse delta with the 2182A's channel 1 on the xx contacts.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from labspin.analysis.loaders import load_run
from labspin.analysis.models._common import DataError
from labspin.analysis.probability_runs import joule_corrected_fit, pulse_temperatures
from labspin.physics import preset
from labspin.physics.predictions import activation_threshold
from labspin.physics.properties import channel_resistance, steady_temperature

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

WIDTHS = "100 us, 300 us, 1 ms, 3 ms"


@pytest.fixture(scope="module")
def probability_run(tmp_path_factory):
    from labspin.procedures import procedure_class
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import Station, default_sim_config

    config = default_sim_config("py-nio", 2)
    meter = config.instruments["voltmeter"].model_copy(update={"wiring": {"1": "xx",
                                                                          "2": "xy"}})
    config = config.model_copy(update={"instruments": {**config.instruments,
                                                       "voltmeter": meter}})
    station = Station(config, sim=True, seed=2, preset="py-nio")
    station.connect()
    with open_catalog(tmp_path_factory.mktemp("joule")) as catalog, station:
        proc = procedure_class("SwitchingProbability")()
        proc.set_parameters({"amplitude_min": 0.0235, "amplitude_max": 0.0285,
                             "amplitude_steps": 6, "pulse_widths": WIDTHS, "trials": 12})
        record = run_procedure(proc, station, catalog)
    assert record.status == "finished", record.error
    return load_run(record.file)


def test_heating_corrected_threshold_is_the_cold_one(probability_run):
    params = preset("py-nio")
    dr_dt = (channel_resistance(params, 310.0) - channel_resistance(params, 290.0)) / 20
    cold = activation_threshold(params, 300.0)
    # d ln I_c0 / dT as a user measures it from I_50 at two stage temperatures; here
    # taken from the model between the stage and the pulse temperature
    hot_t = 366.0
    coefficient = math.log(activation_threshold(params, hot_t) / cold) / (hot_t - 300.0)
    fit = joule_corrected_fit(probability_run, resistance_slope=dr_dt,
                              threshold_coefficient=coefficient,
                              tau_0=params.kinetics.attempt_time)
    # without the correction the threshold is that of a bar 60-70 K hotter: 27 % low
    assert fit["i_c0_uncorrected"] < 0.85 * cold
    assert fit["i_c0"] == pytest.approx(cold, abs=2 * fit["i_c0_stderr"])
    assert fit["i_c0_stderr"] < 0.1 * cold
    assert fit["delta_0"] == pytest.approx(params.kinetics.barrier, rel=0.25)
    # the bar's temperature at each width's I_50, from the measured pulse voltages
    for k in range(4):
        i_50 = abs(fit.get(f"i_50_{k}", math.nan)) if f"i_50_{k}" in fit else None
        assert 340 < fit[f"pulse_temperature_{k}"] < 400
        if i_50:
            assert fit[f"pulse_temperature_{k}"] == pytest.approx(
                steady_temperature(params, i_50), abs=3.0)
    assert fit["r_cold"] == pytest.approx(channel_resistance(params, 300.0), rel=0.01)


def test_pulse_temperatures_follow_the_bar_and_need_a_calibration(probability_run):
    params = preset("py-nio")
    currents = np.array([0.024, 0.027])
    temps, heating = pulse_temperatures(probability_run, currents, resistance_slope=0.4)
    expected = [steady_temperature(params, i) for i in currents]
    assert temps == pytest.approx(expected, abs=2.0)
    assert "300 K assumed" in heating["note"]  # the run did not set the stage
    with pytest.raises(DataError, match="dR/dT"):
        pulse_temperatures(probability_run, currents, resistance_slope=0.0)


# -- in labspin fit: the sample's calibration from the run header ------------------------------


def _with_calibration(run, tmp_path, name: str, **entries: str):
    """The run's file with calibration header entries filled in, as a run on a station
    whose sample has that calibration writes them."""
    text = Path(run.path).read_text(encoding="utf-8")
    for label, value in entries.items():
        text = text.replace(f"#\t{label}: not given\n", f"#\t{label}: {value}\n", 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_run(path)


def _truths():
    params = preset("py-nio")
    dr_dt = (channel_resistance(params, 310.0) - channel_resistance(params, 290.0)) / 20
    cold = activation_threshold(params, 300.0)
    coefficient = math.log(activation_threshold(params, 366.0) / cold) / 66.0
    return dr_dt, coefficient, cold


def test_fit_run_corrects_i_c0_with_the_calibration_in_the_header(probability_run, tmp_path):
    from labspin.analysis.batch import fit_run

    dr_dt, coefficient, cold = _truths()
    run = _with_calibration(probability_run, tmp_path, "cal.csv", **{
        "Calibration dR/dT": f"{dr_dt:.6g} ohm/K",
        "Calibration d ln I_c0/dT": f"{coefficient:.6g} 1/K",
        "Calibration d ln I_c0/dT stderr": f"{0.05 * abs(coefficient):.3g} 1/K"})
    row = fit_run(run)
    assert row["verdict"] == "ok", row["verdict_reason"]
    # both: the uncorrected threshold of the hot bar, the corrected one of the cold bar
    assert row["i_c0"] < 0.85 * cold
    assert row["i_c0_corrected"] == pytest.approx(cold, abs=2 * row["i_c0_corrected_stderr"])
    assert 340 < row["pulse_temperature"] < 400
    assert "from the sample's calibration in the run header: dR/dT, d ln I_c0/dT" in row["note"]
    assert "I_c0 corrected for Joule heating" in row["note"]
    # the coefficient's 5 % uncertainty widens the corrected sigma
    plain = fit_run(_with_calibration(probability_run, tmp_path, "exact.csv", **{
        "Calibration dR/dT": f"{dr_dt:.6g} ohm/K",
        "Calibration d ln I_c0/dT": f"{coefficient:.6g} 1/K"}))
    assert plain["i_c0_corrected"] == pytest.approx(row["i_c0_corrected"])
    assert plain["i_c0_corrected_stderr"] < row["i_c0_corrected_stderr"]
    # options override the header
    other = fit_run(run, dr_dt=2 * dr_dt)
    assert other["pulse_temperature"] - 300 == pytest.approx(
        (row["pulse_temperature"] - 300) / 2, rel=1e-6)


def test_what_the_correction_lacks_is_said_plainly_and_no_partial_number_is_shown(
        probability_run, tmp_path):
    from labspin.analysis.batch import fit_run
    from labspin.analysis.formatting import format_quantities

    dr_dt, _, _ = _truths()
    bare = fit_run(probability_run)
    assert "i_c0_corrected" not in bare and bare["verdict"] == "ok"
    assert "I_c0 is not corrected for Joule heating" in bare["note"]
    assert "calibration dr_dt in the station file, or --dr-dt" in bare["note"]
    half = fit_run(_with_calibration(probability_run, tmp_path, "half.csv",
                                     **{"Calibration dR/dT": f"{dr_dt:.6g} ohm/K"}))
    assert "i_c0_corrected" not in half
    assert "the threshold's temperature coefficient d ln I_c0/dT is missing" in half["note"]
    assert not any("Joule-corrected" in q for q in format_quantities(half))
    explicit = fit_run(probability_run, dr_dt=dr_dt, threshold_coefficient=0.0)
    assert "d ln I_c0/dT 0 1/K" in explicit["note"]  # asked for: partial, and said
    assert any("I_c0 (Joule-corrected) = " in q for q in format_quantities(explicit))


def test_the_threshold_coefficient_is_measured_from_runs_at_two_stage_temperatures(tmp_path):
    """Short runs at 290 and 330 K: the self-consistent coefficient lies within 2 sigma
    of the model's (the log-slope of its activation threshold between them), where the
    uncorrected I_c0 would give about two thirds of it."""
    from labspin.analysis.joule_runs import threshold_coefficient_from_runs
    from labspin.procedures import procedure_class
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import Station, default_sim_config

    config = default_sim_config("py-nio", 1)
    meter = config.instruments["voltmeter"].model_copy(update={"wiring": {"1": "xx",
                                                                          "2": "xy"}})
    config = config.model_copy(update={"instruments": {**config.instruments,
                                                       "voltmeter": meter}})
    station = Station(config, sim=True, seed=1)
    station.connect()
    runs = []
    with open_catalog(tmp_path) as catalog, station:
        for temperature, low, high in ((290, 0.0245, 0.0295), (330, 0.022, 0.027)):
            proc = procedure_class("SwitchingProbability")()
            proc.set_parameters({"amplitude_min": low, "amplitude_max": high,
                                 "amplitude_steps": 5, "pulse_widths": "100 us, 1 ms, 3 ms",
                                 "trials": 8, "stage_temperature": temperature})
            record = run_procedure(proc, station, catalog)
            assert record.status == "finished", record.error
            runs.append(load_run(record.file))
    params = preset("py-nio")
    dr_dt, _, _ = _truths()
    model = math.log(activation_threshold(params, 330.0)
                     / activation_threshold(params, 290.0)) / 40.0
    found = threshold_coefficient_from_runs(runs, resistance_slope=dr_dt, resamples=30)
    assert found["value"] == pytest.approx(model, abs=2 * found["stderr"])
    assert found["stderr"] < 0.7 * abs(model), found  # short runs: a rough number
    naive = math.log(found["i_c0_uncorrected"][1] / found["i_c0_uncorrected"][0]) / 40.0
    assert abs(naive) < 0.8 * abs(found["value"])
    assert found["stage_temperatures"] == [290.0, 330.0]
    with pytest.raises(DataError, match="2 or more stage temperatures"):
        threshold_coefficient_from_runs(runs[:1], resistance_slope=dr_dt)
