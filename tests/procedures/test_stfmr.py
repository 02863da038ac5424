"""STFMR runs headless on the simulated station: the sweeps land on the resonance, every
limit is refused before anything is sent, and every exit leaves the RF off."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labspin.analysis.models.stfmr import fit_line
from labspin.physics import fmr
from labspin.physics.properties import properties_at
from labspin.procedures import procedure_class
from labspin.procedures.stfmr import STFMR, ListValueError
from labspin.runs import open_catalog, run_procedure
from labspin.safety import LimitError

from .harness import assert_bench_safe, run
from .test_loops import record_messages

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

QUICK = {"frequencies": "6, 9", "powers": "5", "field_window": 0.012, "field_step": 0.001}


def rf_is_off(station) -> bool:
    psg = station.bench.rf_sources["rf_source"]
    return not psg.output and psg.rf_output() is None and not psg.lf_state


def test_sweeps_cross_the_kittel_resonance_and_leave_the_rf_off(open_station):
    station = open_station("py-nio")
    proc = procedure_class("STFMR")(**QUICK)
    df = run(proc, station)
    assert len(df) == proc.planned_points() == 2 * 25
    assert rf_is_off(station)
    assert_bench_safe(station)
    params = station.bench.device.params
    props = properties_at(params, params.thermal.stage_temperature)
    for frequency, sweep in df.groupby("RF frequency (Hz)"):
        assert np.all(np.diff(sweep["Field setpoint (T)"]) < 0)  # swept down
        line = fit_line(sweep["Field (T)"], sweep["Mixing voltage (V)"],
                        frequency=frequency, angle=math.pi / 4)
        expected = fmr.resonance_field(frequency, math.pi / 4, props.demag_field,
                                       props.anisotropy_field)
        assert line["b_res"] == pytest.approx(expected, abs=1e-4)
        assert line["inside"] and line["s"] > 2 * abs(line["a"])  # damping-like: symmetric
        assert sweep["Mixing voltage (V)"].abs().max() > 1e-6
        # the lock-in's X, converted for a 100 % sine AM: V = sqrt2 X / 2
        assert np.allclose(sweep["Mixing voltage (V)"], sweep["Lock-in X (V)"] / math.sqrt(2))
    assert set(df["Field angle (deg)"]) == {45.0} and set(df["DC current (A)"]) == {0.0}


def test_the_rotator_turns_the_sample_instead_of_the_field(open_station):
    station = open_station("py-alox")
    df = run(STFMR(**{**QUICK, "frequencies": "8", "angle_control": "rotator",
                      "field_angles": "30"}), station)
    assert station.bench.rotator.angle == pytest.approx(-30.0)
    assert station.bench.coils["y"].current == 0.0 and rf_is_off(station)
    sweep = df[df["Sweep"] == 0]
    line = fit_line(sweep["Field (T)"], sweep["Mixing voltage (V)"], frequency=8e9,
                    angle=math.radians(30))
    params = station.bench.device.params
    props = properties_at(params, params.thermal.stage_temperature)
    expected = fmr.resonance_field(8e9, math.radians(30), props.demag_field,
                                   props.anisotropy_field)
    # py-alox has no torque: only the probe's stray RF field drives it (antisymmetric)
    assert abs(line["s"]) < 0.05 * abs(line["a"])
    assert line["b_res"] == pytest.approx(expected, abs=1e-4)


def test_dc_bias_currents_flow_through_the_bias_tee_and_end_off(open_station):
    station = open_station("py-nio")
    seen = []
    original = station.bench.harmonic_voltages

    def spy(contacts):
        seen.append(station.bench.dc_current())
        return original(contacts)

    station.bench.harmonic_voltages = spy
    df = run(STFMR(**{**QUICK, "frequencies": "8", "dc_currents": "-3, 0, 3"}), station)
    assert sorted(set(df["DC current (A)"])) == [-3e-3, 0.0, 3e-3]
    assert {round(i, 6) for i in seen} >= {-3e-3, 0.0, 3e-3}
    assert_bench_safe(station)
    assert rf_is_off(station)


@pytest.mark.parametrize("settings, limit", [
    ({"powers": "10"}, r"max_rf_power"),  # 10 dBm with 100 % AM peaks at 16 dBm
    ({"frequencies": "6, 25"}, r"rf_frequency_range"),
    ({"dc_currents": "-90"}, r"DC bias plus peak RF current density .* limits\.max_current_d"),
    ({"m_eff_estimate": 0.2, "frequencies": "18", "field_window": 0.3},
     r"max_field\.x ="),
], ids=["rf level", "rf frequency", "dc plus rf current", "field"])
def test_limits_are_refused_before_anything_is_sent(open_station, settings, limit):
    station = open_station("py-nio")
    sent = record_messages(station)
    proc = STFMR(**{**QUICK, **settings})
    proc.station = station
    try:
        with pytest.raises(LimitError, match=limit):
            proc.startup()
        assert sent == []
    finally:
        proc.shutdown()
    assert rf_is_off(station)


def test_an_am_depth_that_keeps_the_peak_inside_the_limit_is_allowed(open_station):
    station = open_station("py-nio")
    proc = STFMR(**{**QUICK, "powers": "10", "am_depth": 50.0})  # peak 13.5 dBm < 15 dBm
    proc.station = station
    proc.check_limits(station.guard)


def test_the_defaults_fit_the_example_station_limits(open_station):
    station = open_station("py-nio")
    proc = STFMR()
    proc.check_limits(station.guard)
    assert proc.planned_points() == 4 * 41


@pytest.mark.parametrize("field, stage", [(45, -45), (-90, 90), (225, 135), (180, -180),
                                          (-200, -160)])
def test_the_rotator_angle_wraps_into_its_range(field, stage):
    from labspin.procedures.stfmr import rotator_angle

    assert rotator_angle(field) == pytest.approx(stage)


def test_bad_lists_are_named(open_station):
    with pytest.raises(ListValueError, match="RF frequencies"):
        STFMR(frequencies="6 GHz, 8").frequency_list()
    with pytest.raises(ListValueError, match="repeated"):
        STFMR(dc_currents="1, 1").current_list()
    with pytest.raises(ListValueError, match="positive"):
        STFMR(frequencies="-6").frequency_list()


def test_a_lockin_that_stops_answering_leaves_the_rf_off_and_the_rows_on_disk(
        open_station, tmp_path):
    station = open_station("py-nio")
    station.bench.inject_fault("lockin_xx", timeout_after=60)
    with open_catalog(tmp_path) as catalog:
        record = run_procedure(STFMR(**QUICK), station, catalog)
        assert record.status == "failed" and "lockin_xx" in record.error
        from labspin.analysis.loaders import load_run

        rows = load_run(record.file).data
    assert 0 < len(rows) < 50
    assert rf_is_off(station)
    assert_bench_safe(station)


def test_an_abort_mid_sweep_leaves_the_rf_off(open_station):
    station = open_station("py-nio")
    df = run(STFMR(**QUICK), station, stop_after=7)
    assert len(df) == 7
    assert rf_is_off(station)
    assert_bench_safe(station)


def test_make_safe_turns_an_rf_left_on_off(open_station):
    station = open_station("py-nio")
    gen = station["rf_source"]
    gen.frequency, gen.power = 8e9, 0
    gen.enable_modulation()
    gen.enable()
    assert not rf_is_off(station)
    assert station.make_safe() == []
    assert rf_is_off(station)


def test_make_safe_still_tries_everything_when_the_generator_is_gone(open_station):
    station = open_station("py-nio")
    station.bench.inject_fault("rf_source", drop_after=0)
    failures = station.make_safe()
    assert any("rf_source" in f for f in failures)
    assert all(coil.current == 0 for coil in station.bench.coils.values())


def test_the_duration_estimate_covers_the_run(open_station):
    station = open_station("py-nio")
    proc = STFMR(**QUICK)
    run(proc, station)
    elapsed = proc.elapsed()
    assert 0.5 * elapsed < proc.estimated_duration() < 3 * elapsed + 30
