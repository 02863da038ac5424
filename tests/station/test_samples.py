"""The bars of a chip in one station file: samples:, their calibration, a guard per bar,
and on the simulated bench a device per bar swapped under the probes between runs.

Known answers: the values written in the file (in other units), the presets' layers,
the bench's clock, instruments and fault counters before and after a swap."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labspin.physics import preset
from labspin.safety import LimitError
from labspin.station import Station, StationError
from labspin.stationfile import StationFileError, parse_station

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def chip(**changes) -> dict:
    """examples/station-sim.yaml with a chip of three bars of NiO 2, 4 and 8 nm."""
    data = yaml.load((EXAMPLES / "station-sim.yaml").read_text(), Loader=yaml.CSafeLoader)
    data["sample"] = {"stack": "Py 5 nm / NiO", "width": "5 um", "length": "20 um",
                      "fm_thickness": "5 nm", "calibration": {"m_s": "800 kA/m"}}
    data["samples"] = [
        {"id": "D1", "afmi_thickness": "2 nm",
         "calibration": {"r_ahe": "0.57 ± 0.01 ohm", "m_eff": "950 mT",
                         "dr_dt": {"value": "0.41 ohm/K", "stderr": "10 mohm/K"},
                         "threshold_temperature_coefficient": "-0.45 %/K"}},
        {"id": "D2", "afmi_thickness": "4 nm", "width": "4 um"},
        {"id": "D3", "afmi_thickness": "8 nm", "calibration": {"m_s": "780 kA/m"}}]
    data.update(changes)
    return data


def test_a_chip_lists_its_bars_with_shared_fields_and_calibrations_in_si():
    config = parse_station(chip(), "chip.yaml")
    assert [s.id for s in config.chip()] == ["D1", "D2", "D3"]
    assert config.sample.id == "D1"  # the first bar unless default_sample says otherwise
    d1, d2, d3 = config.chip()
    assert d1.width == d3.width == pytest.approx(5e-6) and d2.width == pytest.approx(4e-6)
    assert [s.afmi_thickness for s in (d1, d2, d3)] == pytest.approx([2e-9, 4e-9, 8e-9])
    cal = d1.calibration
    assert (cal.r_ahe.value, cal.r_ahe.stderr) == pytest.approx((0.57, 0.01))
    assert cal.m_eff.value == pytest.approx(0.95) and cal.m_eff.stderr == 0
    assert (cal.dr_dt.value, cal.dr_dt.stderr) == pytest.approx((0.41, 0.01))
    assert cal.threshold_temperature_coefficient.value == pytest.approx(-4.5e-3)
    assert cal.m_s.value == pytest.approx(8e5)  # shared, merged key by key
    assert d3.calibration.m_s.value == pytest.approx(7.8e5)  # a bar's own wins
    assert d2.calibration.r_ahe is None


@pytest.mark.parametrize("text", ["-4.5e-3", "-4.5e-3 1/K", "-4.5e-3 /K", "-4.5e-3 K^-1",
                                  "-0.45 %/K", "-4.5e-3 ± 5e-4 1/K"])
def test_the_threshold_coefficient_takes_the_usual_ways_of_writing_per_kelvin(text):
    data = chip()
    data["samples"][0]["calibration"] = {"threshold_temperature_coefficient": text}
    value = parse_station(data, "chip.yaml").chip()[0].calibration
    assert value.threshold_temperature_coefficient.value == pytest.approx(-4.5e-3)


def test_samples_as_a_mapping_and_the_bar_to_start_on():
    data = chip()
    data["samples"] = {entry.pop("id"): entry for entry in data["samples"]}
    data["default_sample"] = "D2"
    config = parse_station(data, "chip.yaml")
    assert [s.id for s in config.chip()] == ["D1", "D2", "D3"]
    assert config.sample.id == "D2"
    plain = chip()
    del plain["sample"]
    for entry in plain["samples"]:
        entry.update(width="5 um", length="20 um", fm_thickness="5 nm")
    plain["sample"] = "D3"  # sample: ID names the bar to start on
    assert parse_station(plain, "chip.yaml").sample.id == "D3"


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["samples"].append({"id": "D1"}), r"'D1' are given more than once"),
    (lambda d: d.update(default_sample="D9"), r"default_sample: 'D9' is not a bar of "
                                              r"samples: \(D1, D2, D3\)"),
    (lambda d: d["sample"].update(id="chip"), r"takes no id"),
    (lambda d: d["samples"][1].update(calibration={"r_ahe": "2 T"}),
     r"samples\[D2\]\.calibration\.r_ahe: '2 T' is not in units of ohm"),
    (lambda d: d["samples"][1].update(calibration={"dr_dt": "-0.4 ohm/K"}),
     r"samples\[D2\]\.calibration\.dr_dt: must be positive"),
    (lambda d: d["samples"][0].update(calibration={"m_s": "8e5 ± 1e4 ± 2"}), r"one ±"),
    (lambda d: d["samples"][2].update(preset="py-nix"), r"unknown device preset 'py-nix'"),
    (lambda d: d["samples"][2].update(id="a\nb"), r"one line"),
    (lambda d: d.update(samples=[]), r"samples: is empty"),
])
def test_chip_mistakes_are_named_with_their_key(change, message):
    data = chip()
    change(data)
    with pytest.raises(StationFileError, match=message):
        parse_station(data, "chip.yaml")


def test_a_station_of_one_sample_is_a_chip_of_one():
    data = yaml.load((EXAMPLES / "station-sim.yaml").read_text(), Loader=yaml.CSafeLoader)
    config = parse_station(data, "one.yaml")
    assert [s.id for s in config.chip()] == ["PyNiO-D1"] and config.samples == []
    with pytest.raises(StationFileError, match=r"no sample 'D2'; its sample is PyNiO-D1 "
                                               r"\(list a chip's bars under samples:"):
        config.sample_by_id("D2")
    del data["sample"]
    data["backend"] = "visa"  # (a simulated station may take its sample from its device)
    with pytest.raises(StationFileError, match="sample: missing"):
        parse_station(data, "one.yaml")
    data["sample"] = "PyNiO-D1"
    with pytest.raises(StationFileError, match="no samples: list"):
        parse_station(data, "one.yaml")


def test_the_guard_of_each_bar_uses_its_own_cross_section():
    from labspin.station import station_guard

    data = chip()
    data["samples"][1]["width"] = "1 um"
    guard = station_guard(parse_station(data, "chip.yaml"))
    # 2.5e12 A/m^2 through 5 um x 5 nm is 62.5 mA, through 1 um x 5 nm 12.5 mA
    guard.check_current(0.05)
    with pytest.raises(LimitError, match="current density"):
        guard.for_sample("D2").check_current(0.05)
    assert guard.sample_ids == ["D1", "D2", "D3"] and guard.default_sample_id == "D1"
    with pytest.raises(StationFileError, match="no sample 'D7'; its samples are D1, D2, D3"):
        guard.for_sample("D7")


# -- the simulated bench: one device per bar -------------------------------------------------


@pytest.fixture
def chip_station():
    station = Station(parse_station(chip(), "chip.yaml"), sim=True, seed=3)
    station.connect()
    yield station
    station.close()


def test_each_bar_simulates_its_own_afmi_thickness_and_the_header_says_which(chip_station):
    st = chip_station
    assert st.bench.device.params.top.thickness == pytest.approx(2e-9)
    assert "NiO 2 nm" in st.description and "seed 3" in st.description
    st.use_sample("D3")
    assert st.sample.id == "D3" and st.guard.sample.id == "D3"
    assert st.bench.device.params.top.thickness == pytest.approx(8e-9)
    assert "NiO 8 nm" in st.description
    # everything else of py-nio is untouched
    nio = preset("py-nio").top
    assert st.bench.device.params.top.with_(thickness=nio.thickness) == nio
    assert st.snapshot()["sim"]["sample"] == "D3"
    with pytest.raises(StationError, match="no sample 'D9'; its samples are D1, D2, D3"):
        st.use_sample("D9")


def test_swapping_the_bar_keeps_the_bench_clock_instruments_and_fault_state(chip_station):
    st = chip_station
    bench = st.bench
    st.magnet("z").ramp_to(0.02)  # a field that leaves the in-plane state alone
    st.sleep(3.0)
    st.bench.inject_fault("lockin", garbage_after=10_000)
    counts = bench.faults_for("lockin")
    before = (bench.now(), dict(bench.instruments), bench.stage.temperature,
              bench.sample_field().copy())
    d1 = bench.device
    d1.reset(-1)  # D1 left reversed
    st.use_sample("D2")
    assert bench.now() == before[0]  # the clock did not jump
    assert bench.instruments == before[1] and bench.faults_for("lockin") is counts
    assert bench.stage.temperature == before[2]
    assert bench.sample_field() == pytest.approx(before[3])
    assert bench.device is not d1 and bench.device.field == pytest.approx(before[3])
    assert bench.device.mean_state == 1.0  # a fresh bar
    st.use_sample("D1")
    assert bench.device is d1 and d1.mean_state == -1.0  # the bar kept its state
    st.make_safe()


def test_the_probes_do_not_move_while_a_current_flows(chip_station):
    st = chip_station
    st.bench.set_source("source", dc=1e-3)
    with pytest.raises(StationError, match=r"cannot move to sample D2: .*source drives "
                                           r"0\.001 A dc.*turn the outputs off first"):
        st.use_sample("D2")
    assert st.sample.id == "D1" and st.bench.device.params.top.thickness == pytest.approx(2e-9)
    st.bench.set_source("source", dc=0.0)
    st.use_sample("D2")
    assert st.sample.id == "D2"


def test_a_bar_may_simulate_another_preset_and_bad_devices_fail_when_the_bench_is_built():
    data = chip()
    data["samples"][2] = {"id": "ref", "preset": "py-alox"}
    station = Station(parse_station(data, "chip.yaml"), sim=True, seed=1)
    station.connect()
    try:
        station.use_sample("ref")
        assert station.bench.device.params.name == "py-alox"
    finally:
        station.close()
    data["samples"][2]["afmi_thickness"] = "3 nm"
    with pytest.raises(StationFileError, match=r"sample 'ref': afmi_thickness is given but "
                                               r"the py-alox preset has no antiferromagnet"):
        Station(parse_station(data, "chip.yaml"), sim=True)
    data["samples"][2] = {"id": "thin", "afmi_thickness": "0.3 nm"}
    with pytest.raises(StationFileError, match=r"sample 'thin': afmi_thickness"):
        Station(parse_station(data, "chip.yaml"), sim=True)
    data["samples"][2] = {"id": "co", "fm_thickness": "3 nm"}
    with pytest.raises(StationFileError, match=r"(?s)sample 'co': .*fm_thickness .*differs "
                                               r"from .*py-nio preset"):
        Station(parse_station(data, "chip.yaml"), sim=True)


def test_the_same_bar_gives_the_same_device_whichever_bar_comes_first():
    a = Station(parse_station(chip(), "chip.yaml"), sim=True, seed=5)
    b = Station(parse_station(chip(default_sample="D3"), "chip.yaml"), sim=True, seed=5)
    a.connect()
    b.connect()
    try:
        a.use_sample("D3")
        assert a.bench.device.barrier_scale == pytest.approx(b.bench.device.barrier_scale)
        a.use_sample("D1")
        b.use_sample("D1")
        assert a.bench.device.barrier_scale == pytest.approx(b.bench.device.barrier_scale)
    finally:
        a.close()
        b.close()


# -- device files (labspin.physics.devicefile, written in parallel) -------------------------


def test_a_bar_simulates_its_device_file(tmp_path):
    devicefile = pytest.importorskip(
        "labspin.physics.devicefile",
        reason="labspin.physics.devicefile (device files) is not in this version yet")
    (tmp_path / "nio8.yaml").write_text(
        "base: py-nio\nname: Py / NiO 8 nm, chip 7\ntop: {name: NiO, thickness: 8 nm}\n")
    data = chip()
    data["samples"][2] = {"id": "file", "device": "nio8.yaml"}
    station_path = tmp_path / "chip.yaml"
    station_path.write_text(yaml.safe_dump(data))
    assert hasattr(devicefile, "load_device")
    station = Station.open(station_path, sim=True)
    try:
        station.use_sample("file")
        params = station.bench.device.params
        assert params.name == "Py / NiO 8 nm, chip 7"
        assert params.top.thickness == pytest.approx(8e-9)
        assert "chip 7" in station.description
    finally:
        station.close()


def _random_values():
    from hypothesis import strategies as st

    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | \
        st.text(max_size=8) | st.sampled_from(["D1", "5 um", "2 ± 0.1 ohm", "± ohm", "1/K"])
    return st.recursive(leaves, lambda children: st.lists(children, max_size=3)
                        | st.dictionaries(st.sampled_from(
                            ["id", "width", "calibration", "r_ahe", "value", "stderr",
                             "afmi_thickness", "preset", "device", "x"]), children, max_size=3),
                        max_leaves=12)


def test_random_samples_give_a_station_file_error_never_a_crash():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=100, deadline=None)
    @given(st.sampled_from(["samples", "sample", "default_sample"]), _random_values(),
           st.booleans())
    def check(key, value, inside):
        data = chip()
        if inside and key == "samples" and isinstance(value, dict):
            data["samples"][0] = value
        else:
            data[key] = value
        try:
            parse_station(data, "random.yaml")
        except StationFileError:
            pass

    check()
