"""HarmonicHall runs headless on the simulated station: Avci angle scans on the in-plane
py-nio bar and Hayashi field sweeps on the perpendicular cofeb-nio-pma bar.

Known answers: the damping-like and field-like fields per ampere of the device model
(``labspin.physics.spin_transport``), recovered with the fits of
``labspin.analysis.models.harmonic``, and the model's own V_1w and V_2w at every point.
The bench runs on virtual time (long lock-in time constants cost nothing); seeds fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from labspin.analysis.models.harmonic import (
    fit_angle_scans,
    fit_harmonic_hall_inplane,
    fit_harmonic_hall_perpendicular,
)
from labspin.physics import Device, readout, spin_transport
from labspin.physics.properties import properties_at
from labspin.procedures import procedure_class
from labspin.procedures.apparatus import LockinOverload, SourceCompliance
from labspin.procedures.harmonic import (
    FieldListError,
    HarmonicHall,
    parse_field_magnitudes,
)
from labspin.safety import LimitError

from .harness import assert_bench_safe, run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice








def readout_terms(params):
    """Stage-temperature properties, R_PHE and R_AHE. R_PHE in the literature's sense, the
    amplitude of R_xy against sin 2 phi of an in-plane m (R_PHE sin^2 theta sin 2 phi),
    read off the model's own readout so that it holds whatever the model's convention."""
    props = properties_at(params, params.thermal.stage_temperature)

    def r_xy(phi: float) -> float:
        m = np.array([np.cos(phi), np.sin(phi), 0.0])
        return readout.resistances(params, props, m, 0.0, 0.0).xy

    r_phe = 0.5 * (r_xy(np.pi / 4) - r_xy(-np.pi / 4))
    return props, r_phe, params.readout.anomalous_hall


def rms(values) -> float:
    return float(np.sqrt(np.mean(np.square(values))))


# -- angle scans (Avci et al. 2014) -------------------------------------------------------

I0_INPLANE = 7e-3  # A: 2.8e11 A/m^2 in py-nio, far below switching, 2 K of Joule heating


def test_angle_scan_of_the_in_plane_magnet_has_the_avci_form_and_gives_the_model_torque(
        open_station):
    station = open_station("py-nio")
    proc = HarmonicHall(mode="angle scan", field_magnitudes="0.3, 0.4, 0.5", angle_step=30,
                        current=I0_INPLANE, time_constant=10.0, sensitivity=2e-6,
                        sensitivity_1w=5e-3)
    start = station.now()
    df = run(proc, station)
    elapsed = station.now() - start
    assert_bench_safe(station)
    assert list(df.columns) == HarmonicHall.DATA_COLUMNS
    assert len(df) == proc.planned_points() == 3 * 12
    assert df["Field axis"].isna().all()
    assert np.abs(df["Field (T)"] - df["Field setpoint (T)"]).max() < 5e-4
    assert df["R_xy 2w (ohm)"].to_numpy() == pytest.approx(df["V_xy 2w (V)"] / I0_INPLANE)

    # every point is what the device model gives at that field
    params = station.bench.device.params
    device = Device(params, seed=0)
    model_1w, model_2w = [], []
    for b, angle in zip(df["Field setpoint (T)"], np.radians(df["Field angle (deg)"]),
                        strict=True):
        device.set_field((b * np.cos(angle), b * np.sin(angle), 0.0))
        h = device.harmonic_voltages(I0_INPLANE)
        model_1w.append(h.xy_1w)
        model_2w.append(h.xy_2w)
    v2w = df["V_xy 2w (V)"].to_numpy()
    assert rms(v2w - model_2w) < 0.01 * rms(model_2w)
    assert df["V_xy 1w (V)"].to_numpy() == pytest.approx(model_1w, rel=2e-3)

    # the Avci form: a cos(phi) part and a 2cos^3(phi) - cos(phi) part at each field
    phi = np.radians(df["Field angle (deg)"].to_numpy())
    table = fit_angle_scans(df["Field setpoint (T)"], phi, v2w)
    assert (np.abs(table["dl_amplitude"]) > 20 * table["dl_amplitude_stderr"]).all()
    assert (np.abs(table["fl_amplitude"]) > 20 * table["fl_amplitude_stderr"]).all()
    fl_times_b = table["fl_amplitude"] * table["field"]  # field-like part goes as 1/B
    assert fl_times_b.to_numpy() == pytest.approx(fl_times_b.mean(), rel=0.05)

    props, r_phe, r_ahe = readout_terms(params)
    fit = fit_harmonic_hall_inplane(df["Field setpoint (T)"], phi, v2w,
                                    current_amplitude=I0_INPLANE, r_ahe=r_ahe, r_phe=r_phe,
                                    m_eff=props.demag_field)
    truth = spin_transport(params)
    # the closed form neglects B_K = 15 mT: about -4 % here even without noise
    assert fit["b_dl_per_ampere"] == pytest.approx(truth.b_dl_per_ampere, rel=0.1)
    assert fit["b_fl_per_ampere"] == pytest.approx(
        truth.b_fl_per_ampere + truth.b_oersted_per_ampere, rel=0.1)
    v_nernst = params.readout.nernst_coefficient * I0_INPLANE**2 / 2
    assert fit["v_thermal"] == pytest.approx(v_nernst, rel=0.1)
    assert elapsed < proc.estimated_duration() < 2.5 * elapsed + 30


# -- field sweeps (Hayashi et al. 2014) ---------------------------------------------------

I0_PMA = 1e-3  # A: 1.7e11 A/m^2 in cofeb-nio-pma


def test_field_sweeps_of_the_perpendicular_magnet_give_the_hayashi_fields(open_station):
    station = open_station("cofeb-nio-pma")
    assert station.bench.device.mean_state == 1
    proc = HarmonicHall(mode="field sweep", field_max=6e-3, field_step=1e-3,
                        initial_field_z=-0.05, current=I0_PMA, time_constant=1.0,
                        sensitivity=10e-6, sensitivity_1w=20e-3)
    start = station.now()
    df = run(proc, station)
    elapsed = station.now() - start
    assert_bench_safe(station)
    assert station.bench.device.mean_state == -1  # set by the initialising field
    assert len(df) == proc.planned_points() == 2 * 13
    x, y = df[df["Field axis"] == 0], df[df["Field axis"] == 1]
    assert len(x) == len(y) == 13
    assert set(x["Field angle (deg)"]) == {0.0} and set(y["Field angle (deg)"]) == {90.0}
    assert x["Field setpoint (T)"].iloc[0] == pytest.approx(-6e-3)

    params = station.bench.device.params
    props, r_phe, r_ahe = readout_terms(params)
    offset = params.hall_bar.hall_misalignment * props.channel_resistance
    state = int(np.sign(df["R_xy 1w (ohm)"].mean() - offset))
    assert state == -1
    assert df["R_xy 1w (ohm)"].to_numpy() == pytest.approx(offset - r_ahe, abs=0.02)
    fit = fit_harmonic_hall_perpendicular(
        x["Field (T)"], x["V_xy 1w (V)"], x["V_xy 2w (V)"],
        y["Field (T)"], y["V_xy 1w (V)"], y["V_xy 2w (V)"],
        current_amplitude=I0_PMA, state=state, planar_to_anomalous=r_phe / r_ahe)
    truth = spin_transport(params)
    assert fit["b_dl_per_ampere"] == pytest.approx(truth.b_dl_per_ampere, rel=0.15)
    assert fit["b_fl_per_ampere"] == pytest.approx(
        truth.b_fl_per_ampere + truth.b_oersted_per_ampere, rel=0.15)
    assert elapsed < proc.estimated_duration() < 2.5 * elapsed + 30


def test_a_clipping_lockin_stops_the_run_and_the_bench_is_safe(open_station):
    station = open_station("cofeb-nio-pma")
    # V_1w is about 9 mV rms (R_AHE and the misalignment offset): 5 mV full scale clips
    proc = HarmonicHall(mode="field sweep", current=I0_PMA, sensitivity_1w=5e-3)
    with pytest.raises(LockinOverload, match="1w sensitivity"):
        run(proc, station)
    assert_bench_safe(station)


def test_an_open_bar_puts_the_source_in_compliance_and_stops_the_run(open_station):
    station = open_station("py-nio")
    station.bench.device.burnt = True  # no current can flow: the 6221 hits compliance
    proc = HarmonicHall(mode="angle scan", field_magnitudes="0.1", current=3e-3)
    with pytest.raises(SourceCompliance, match="compliance"):
        run(proc, station)
    assert_bench_safe(station)


# -- limits, abort, estimates, parsing ----------------------------------------------------


@pytest.mark.parametrize(("settings", "limit"), [
    ({"mode": "angle scan", "field_magnitudes": "0.3, 0.6"}, r"max_field\.x ="),
    ({"mode": "field sweep", "field_max": 0.6}, r"max_field\.x ="),
    ({"mode": "field sweep", "initial_field_z": -0.4}, r"max_field\.z ="),
    ({"mode": "angle scan", "initial_field_z": 0.4}, r"max_field\.z ="),
    ({"current": 0.07}, r"max_current_density ="),  # 2.8e12 A/m^2 in py-nio
], ids=["angle scan field", "sweep field", "initialising field",
        "initialising field of an angle scan", "current density"])
def test_limits_are_refused_before_anything_is_sent(open_station, settings, limit):
    station = open_station("py-nio")
    sent = []
    for model in station.bench.instruments.values():
        model.process = lambda message, _p=model.process: sent.append(message) or _p(message)
    proc = HarmonicHall(**settings)
    proc.station = station
    try:
        with pytest.raises(LimitError, match=limit):
            proc.startup()
        assert sent == []
    finally:
        proc.shutdown()
    assert all(not coil.output_enabled for coil in station.bench.coils.values())
    assert_bench_safe(station)


@pytest.mark.parametrize("mode", ["angle scan", "field sweep"])
def test_stop_request_ends_the_run_early_and_leaves_the_bench_safe(open_station, mode):
    station = open_station("py-nio")
    proc = HarmonicHall(mode=mode, field_magnitudes="0.1", angle_step=45, current=3e-3)
    df = run(proc, station, stop_after=2)
    assert len(df) == 2 < proc.planned_points()
    assert_bench_safe(station)


def test_duration_estimates_are_sane_and_grow_with_the_points():
    def scan(**kw):
        return HarmonicHall(mode="angle scan", **kw)

    few, more = scan(field_magnitudes="0.1, 0.2"), scan(field_magnitudes="0.1, 0.2, 0.3")
    assert more.planned_points() == 3 * 24 and few.planned_points() == 2 * 24
    assert more.estimated_duration() > few.estimated_duration()
    assert scan(angle_step=5).estimated_duration() > scan(angle_step=15).estimated_duration()
    # a point: 5 tau per harmonic, the settling, the ramps of both in-plane magnets (a
    # 15 deg step at 0.3 T moves x and y together by B dphi (|sin| + |cos|), 0.1 T on
    # average over the turn: 1 s at the default 0.1 T/s), the messages
    tau = 0.3
    assert 2 * 5 * tau + 1.0 < scan(time_constant=tau).seconds_per_point() < 2 * 5 * tau + 3
    assert (scan(field_magnitudes="0.5").seconds_per_point()
            > scan(field_magnitudes="0.1").seconds_per_point())
    sweep = HarmonicHall(mode="field sweep", sweep_both_axes=False)
    both = HarmonicHall(mode="field sweep", sweep_both_axes=True)
    assert both.planned_points() == 2 * sweep.planned_points()
    assert both.estimated_duration() > sweep.estimated_duration()
    assert dict(scan(field_magnitudes="0.1; 0.2").get_estimates())["Duration"].startswith("?")


@pytest.mark.parametrize(("text", "values"), [
    ("0.1, 0.2, 0.3", [0.1, 0.2, 0.3]),
    (" 0.05,0.1 ,1e-1 ", None),  # 0.1 twice
    ("0.25", [0.25]),
    (0.25, [0.25]),  # a queue file's bare number
    ([0.1, 0.4], [0.1, 0.4]),
])
def test_field_magnitudes_are_parsed_strictly(text, values):
    if values is None:
        with pytest.raises(FieldListError, match="repeated"):
            parse_field_magnitudes(text)
    else:
        assert parse_field_magnitudes(text) == values


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty entry"),
    ("0.1,, 0.2", "empty entry"),
    ("0.1; 0.2", "not a plain number"),
    ("100 mT, 200 mT", "not a plain number"),
    ("0.1, nan", "not a plain number"),
    ("0.1, -0.2", "positive"),
    ("0, 0.2", "positive"),
    ([], "no field magnitudes"),
    (["a"], "tesla separated by commas"),
    (True, "tesla separated by commas"),
])
def test_bad_field_magnitudes_are_refused_with_a_clear_error(text, message):
    with pytest.raises(FieldListError, match=message):
        parse_field_magnitudes(text)
    assert issubclass(FieldListError, ValueError)  # the queue planner reports ValueErrors


def test_angle_step_must_divide_the_circle_and_sweeps_need_points():
    with pytest.raises(ValueError, match="divide 360"):
        HarmonicHall(mode="angle scan", angle_step=25).planned_points()
    with pytest.raises(ValueError, match="fewer than 4"):
        HarmonicHall(mode="field sweep", field_max=1e-3, field_step=1e-3).planned_points()
    assert HarmonicHall(mode="angle scan", angle_step=7.5).angles()[-1] == 352.5
    assert math.isfinite(HarmonicHall().estimated_duration())


def test_harmonic_hall_is_registered():
    assert procedure_class("HarmonicHall") is HarmonicHall
    assert HarmonicHall.DESCRIPTION


def test_an_angle_scan_applies_its_initialising_field_along_z_first(open_station):
    """initial_field_z is not ignored in angle-scan mode: the z coil reaches it before
    the first point and is back at zero when the in-plane scan starts."""
    station = open_station("py-nio")
    coil = station.bench.coils["z"]
    seen: list[tuple[float, float]] = []  # (z coil field, in-plane coil current) per step
    evolve = station.bench._evolve

    def watch(seconds, *, sleep):
        evolve(seconds, sleep=sleep)
        seen.append((coil.current * coil.coil_constant, abs(station.bench.coils["x"].current)))

    station.bench._evolve = watch
    proc = HarmonicHall(mode="angle scan", field_magnitudes="0.1", angle_step=90.0,
                        initial_field_z=0.1, time_constant=0.01)
    rows = run(proc, station)
    assert len(rows) == 4
    top = max(z for z, _ in seen)
    assert top == pytest.approx(0.1, abs=2e-3)
    first_inplane = next(k for k, (_, x) in enumerate(seen) if x > 1e-3)
    assert max(abs(z) for z, _ in seen[first_inplane:]) < 1e-3  # z at zero for the scan
    assert_bench_safe(station)
