"""HallLoop and USMRLoop run headless on the simulated station.

Known answers come from the device model behind the bench: the anomalous and ordinary
Hall coefficients of the preset, the Sharrock coercive field of a staircase sweep with
the dwell the run actually had, and the model's R_xx^2w (``Device.harmonic_voltages``).
The bench runs on virtual time; seeds are fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas
import pytest

from labspin.analysis.models.loops import fit_hysteresis_loop
from labspin.physics import Device
from labspin.physics.formulas import sharrock_switching_field
from labspin.physics.properties import properties_at
from labspin.procedures import procedure_class
from labspin.procedures.loops import HallLoop, USMRLoop, loop_fields
from labspin.safety import LimitError, SafetyGuard
from labspin.station import InstrumentFault, Station, default_sim_config

from .harness import assert_bench_safe, run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice






def record_messages(station: Station) -> list[tuple[str, str]]:
    """Every message any simulated instrument receives from now on."""
    sent: list[tuple[str, str]] = []
    for model in station.bench.instruments.values():
        def process(message, _model=model, _process=model.process):
            sent.append((_model.name, message))
            return _process(message)

        model.process = process
    return sent




def stepped_sharrock_field(b_n: float, delta: float, tau_0: float, step: float,
                           wait: float) -> float:
    """Sharrock field of a staircase sweep (``step`` every ``wait``, field exponent 2):
    the escape rate grows by exp(2 Delta (1 - b/b_n) step / b_n) per step, so the steps
    up to the switching one add up to wait / (1 - exp(-growth)) at the last field."""
    b = 0.4 * b_n
    for _ in range(100):
        growth = 2 * delta * (1 - b / b_n) * step / b_n
        b = float(sharrock_switching_field(b_n, delta, 1 / tau_0, wait / -np.expm1(-growth)))
    return b


def dwell(df: pandas.DataFrame) -> float:
    """Time per field step of a run (virtual seconds)."""
    return float(np.median(np.diff(df["Time (s)"].to_numpy())))


# -- HallLoop ---------------------------------------------------------------------------


def test_hall_loop_of_the_perpendicular_magnet_is_square_with_the_sharrock_coercivity(
        open_station):
    station = open_station("cofeb-nio-pma")
    step = 0.5e-3
    proc = HallLoop(field_axis="z", field_max=0.02, field_step=step, read_current=0.5e-3,
                    readout="reversal", nplc=1.0, settle_time=0.1)
    start = station.now()
    df = run(proc, station)
    elapsed = station.now() - start
    assert_bench_safe(station)

    n = loop_fields(0.02, step).size
    assert len(df) == proc.planned_points() == 2 * n
    assert list(df.columns) == HallLoop.DATA_COLUMNS
    assert set(df["Branch"]) == {-1, 1} and set(df["Loop"]) == {1}
    assert (df["Branch"].iloc[:n] == -1).all() and (df["Branch"].iloc[n:] == 1).all()
    assert df["Field setpoint (T)"].iloc[0] == pytest.approx(0.02)
    assert df["Field setpoint (T)"].iloc[n - 1] == pytest.approx(-0.02)
    # read back by the gaussmeter: the yoke's remanence and the probe offset, < 0.5 mT
    assert np.abs(df["Field (T)"] - df["Field setpoint (T)"]).max() < 5e-4

    params = station.bench.device.params
    props = properties_at(params, params.thermal.stage_temperature)
    fit = fit_hysteresis_loop(df["Field (T)"], df["R_xy (ohm)"], df["Branch"])
    expected = stepped_sharrock_field(props.switching_field, props.barrier,
                                      params.kinetics.attempt_time, step, dwell(df))
    assert fit["b_c_plus"] == pytest.approx(expected, rel=0.1)
    assert fit["b_c_minus"] == pytest.approx(-expected, rel=0.1)
    assert fit["half_step"] == pytest.approx(params.readout.anomalous_hall, rel=0.01)
    assert fit["squareness"] > 0.95
    offset = params.hall_bar.hall_misalignment * props.channel_resistance
    assert fit["offset"] == pytest.approx(offset, abs=0.01)

    # ordinary Hall slope from both saturated states, beyond every switching field
    sat = df[df["Field (T)"].abs() > 1.6 * expected]
    b = sat["Field (T)"].to_numpy()
    design = np.column_stack([b > 0, b < 0, b]).astype(float)
    (_, _, slope), *_ = np.linalg.lstsq(design, sat["R_xy (ohm)"].to_numpy(), rcond=None)
    assert slope == pytest.approx(params.readout.ordinary_hall, rel=0.1)

    # m stays along z: R_xx = R_0 (1 + SMR), no AMR
    r_xx = props.channel_resistance * (1 + params.readout.smr_ratio)
    assert df["R_xx (ohm)"].to_numpy() == pytest.approx(r_xx, rel=1e-3)

    # the estimate (hardware, with bus overheads) is above the bench's own clock
    assert elapsed < proc.estimated_duration() < 2.5 * elapsed + 30


def test_hall_loop_readout_modes_agree_and_delta_reads_the_pair_on_channel_1(open_station):
    station = open_station("cofeb-nio-pma")
    results = {}
    for mode in ("reversal", "delta", "dc"):
        sent = record_messages(station)
        proc = HallLoop(field_axis="z", field_max=0.02, field_step=0.02, read_current=0.5e-3,
                        readout=mode, settle_time=0.0)
        results[mode] = run(proc, station)
        assert_bench_safe(station)
        delta_used = any("DELT" in message.upper() for _, message in sent)
        assert delta_used == (mode == "delta")
    reversal, delta, dc = results["reversal"], results["delta"], results["dc"]
    assert len(reversal) == len(delta) == len(dc) == 6
    # the offset cancels in reversal and delta; dc keeps it (a few uV / 0.5 mA)
    assert delta["R_xy (ohm)"].to_numpy() == pytest.approx(reversal["R_xy (ohm)"], abs=1e-3)
    assert delta["R_xx (ohm)"].to_numpy() == pytest.approx(reversal["R_xx (ohm)"], abs=1e-3)
    offset = np.median(dc["R_xy (ohm)"] - reversal["R_xy (ohm)"])
    assert 1e-4 < abs(offset) < 0.05
    assert (HallLoop(readout="delta").seconds_per_point()
            > HallLoop(readout="reversal").seconds_per_point()
            > HallLoop(readout="dc").seconds_per_point())


def test_a_read_current_above_the_default_compliance_still_flows(open_station):
    """2 mA through the 8 kOhm (two-terminal) perpendicular bar needs 16 V: more than the
    6221's 10 V after a reset, so the loop sets the compliance from the sample."""
    station = open_station("cofeb-nio-pma")
    proc = HallLoop(field_axis="z", field_max=0.02, field_step=0.02, read_current=2e-3,
                    settle_time=0.0)
    df = run(proc, station)
    params = station.bench.device.params
    props = properties_at(params, params.thermal.stage_temperature)
    assert df["R_xx (ohm)"].to_numpy() == pytest.approx(props.channel_resistance, rel=5e-3)
    assert_bench_safe(station)


# -- USMRLoop ---------------------------------------------------------------------------


def model_r_2w(params, field_axis: int, field: float, amplitude: float) -> float:
    """R_xx^2w the device model gives for a saturated state at ``field``."""
    device = Device(params, seed=0, initial_state=int(np.sign(field)))
    vector = [0.0, 0.0, 0.0]
    vector[field_axis] = field
    device.set_field(vector)
    return device.harmonic_voltages(amplitude).xx_2w / amplitude


def test_usmr_loop_steps_with_m_y_by_the_model_amount_and_is_hysteretic(open_station):
    station = open_station("py-nio")
    step = 0.5e-3
    proc = USMRLoop(field_max=0.02, field_step=step, settle_time=0.1)
    assert proc.field_axis == "y" and proc.current_density == 1.3e11
    start = station.now()
    df = run(proc, station)
    elapsed = station.now() - start
    assert_bench_safe(station)
    assert list(df.columns) == USMRLoop.DATA_COLUMNS
    assert len(df) == proc.planned_points()

    area = station.config.sample.current_area
    i0 = 1.3e11 * area
    assert proc.ac_current == pytest.approx(i0)
    assert df["V_xx 2w (V)"].to_numpy() == pytest.approx(df["R_xx 2w (ohm)"] * i0, rel=1e-9)
    params = station.bench.device.params
    props = properties_at(params, params.thermal.stage_temperature)
    assert df["R_xx 1w (ohm)"].to_numpy() == pytest.approx(props.channel_resistance, rel=5e-3)

    high = model_r_2w(params, 1, +0.02, i0)
    low = model_r_2w(params, 1, -0.02, i0)
    assert high * low < 0  # odd in m_y
    assert high == pytest.approx(-low, rel=0.01)
    ends = df[df["Field setpoint (T)"].abs() > 0.015]
    measured_high = ends[ends["Field setpoint (T)"] > 0]["R_xx 2w (ohm)"].mean()
    measured_low = ends[ends["Field setpoint (T)"] < 0]["R_xx 2w (ohm)"].mean()
    assert measured_high == pytest.approx(high, rel=0.03)
    assert measured_low == pytest.approx(low, rel=0.03)

    fit = fit_hysteresis_loop(df["Field (T)"], df["R_xx 2w (ohm)"], df["Branch"])
    assert fit["step"] == pytest.approx(high - low, rel=0.03)
    assert fit["squareness"] > 0.95
    expected = stepped_sharrock_field(props.switching_field, props.barrier,
                                      params.kinetics.attempt_time, step, dwell(df))
    assert fit["b_c_plus"] == pytest.approx(expected, rel=0.15)
    assert fit["b_c_minus"] == pytest.approx(-expected, rel=0.15)
    assert elapsed < proc.estimated_duration() < 2.5 * elapsed + 30


def test_a_lockin_that_stops_answering_still_leaves_no_ac_current(open_station):
    station = open_station("py-nio")
    station.bench.inject_fault("lockin_xx", timeout_after=40)
    sent = record_messages(station)
    proc = USMRLoop(field_max=0.01, field_step=1e-3, time_constant=0.01)
    with pytest.raises(InstrumentFault, match="lockin_xx"):
        run(proc, station)
    started = [i for i, (name, m) in enumerate(sent) if name == "source" and "WAVE:INIT" in m]
    readings = [i for i, (name, m) in enumerate(sent) if name == "lockin_xx" and "OUTP" in m]
    assert started and readings and started[0] < readings[0]  # it failed with the AC on
    assert_bench_safe(station)


# -- limits, abort, estimates -------------------------------------------------------------


@pytest.mark.parametrize(("cls", "preset", "settings", "limit"), [
    (HallLoop, "cofeb-nio-pma", {"field_axis": "z", "field_max": 0.35}, r"max_field\.z ="),
    (HallLoop, "cofeb-nio-pma", {"field_max": 0.1, "saturation_field": 0.31},
     r"max_field\.z ="),
    (HallLoop, "pt-py", {"read_current": 0.105}, r"max_current ="),  # 2.1e12 A/m^2 in Pt/Py
    (HallLoop, "cofeb-nio-pma", {"read_current": 0.02}, r"max_current_density ="),
    (USMRLoop, "cofeb-nio-pma", {"current_density": 2.6e12}, r"max_current_density ="),
    (USMRLoop, "py-nio", {"field_max": 0.6}, r"max_field\.y ="),
], ids=["field", "saturation field", "read current", "read current density",
        "ac current density", "usmr field"])
def test_limits_are_refused_before_anything_is_sent(open_station, cls, preset, settings,
                                                    limit):
    station = open_station(preset)
    sent = record_messages(station)
    proc = cls(**settings)
    proc.station = station
    try:
        with pytest.raises(LimitError, match=limit):
            proc.startup()
        assert sent == []
    finally:
        proc.shutdown()
    assert all(coil.setpoint == 0.0 and not coil.output_enabled
               for coil in station.bench.coils.values())
    source = next(m for m in station.bench.instruments.values() if m.name == "source")
    assert not source.output and source.wave_state is None
    assert_bench_safe(station)


@pytest.mark.parametrize(("cls", "preset"), [(HallLoop, "cofeb-nio-pma"), (USMRLoop, "py-nio")])
def test_stop_request_ends_the_loop_early_and_leaves_the_bench_safe(open_station, cls,
                                                                    preset):
    station = open_station(preset)
    proc = cls(field_max=0.01, field_step=1e-3)
    df = run(proc, station, stop_after=3)
    assert len(df) == 3 < proc.planned_points()
    assert_bench_safe(station)


def test_duration_estimates_are_sane_and_grow_with_the_points(open_station):
    coarse, fine = HallLoop(field_step=2e-3), HallLoop(field_step=1e-3)
    assert fine.planned_points() > coarse.planned_points()
    assert fine.estimated_duration() > coarse.estimated_duration()
    two = HallLoop(field_step=1e-3, loops=2)
    assert two.planned_points() == 2 * fine.planned_points()
    # per point: at least one ramp interval, the settling, two pairs read by reversal
    assert 0.1 + 0.2 + 4 * 2 / 60 < fine.seconds_per_point() < 2.0
    assert USMRLoop(time_constant=1.0).seconds_per_point() > 10.0  # 5 tau per harmonic
    assert (USMRLoop(time_constant=0.25).seconds_per_point()  # the SR830 has 0.3 s
            == USMRLoop(time_constant=0.3).seconds_per_point())
    # without a station, a cautious ramp rate; planning against one uses its limit
    station = open_station("py-nio")
    slow = HallLoop(field_step=0.1, field_max=0.2)
    fast = HallLoop(field_step=0.1, field_max=0.2)
    fast.check_limits(station.guard)  # the sim station allows 0.5 T/s
    assert slow.seconds_per_point() > fast.seconds_per_point()
    assert math.isfinite(slow.estimated_duration())
    estimates = dict(HallLoop().get_estimates())
    assert estimates["Points"] == str(HallLoop().planned_points())


def test_loop_fields_include_both_ends_and_refuse_too_coarse_steps():
    fields = loop_fields(0.02, 0.003)  # 0.003 does not divide 0.04: adjusted
    assert fields[0] == 0.02 and fields[-1] == -0.02
    assert np.allclose(np.diff(fields), np.diff(fields)[0])
    with pytest.raises(ValueError, match="fewer than 3"):
        loop_fields(0.01, 0.05)
    config = default_sim_config("py-nio")
    guard = SafetyGuard(config.limits, config.sample, config.name)
    with pytest.raises(ValueError, match="inside the loop"):
        HallLoop(field_max=0.1, saturation_field=0.05).check_limits(guard)


def test_loops_are_registered():
    assert procedure_class("HallLoop") is HallLoop
    assert procedure_class("USMRLoop") is USMRLoop
    assert HallLoop.DESCRIPTION and USMRLoop.DESCRIPTION
