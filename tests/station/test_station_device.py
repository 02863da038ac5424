"""A station simulates your own device: sim.device, --device, api; the sample agrees."""

from pathlib import Path

import pytest
import yaml

from labspin import api
from labspin.physics import preset
from labspin.physics.devicefile import load_device
from labspin.station import Station, default_sim_config
from labspin.stationfile import StationFileError, load_station_file, parse_station

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEVICE = EXAMPLES / "device-cofeb-nio.yaml"
CHIP = """\
base: py-nio
name: chip 7
ferromagnet: {name: CoFeB, thickness: 3 nm}
hall_bar: {width: 3 um, length: 12 um}
"""


def station_data(**sim) -> dict:
    data = yaml.load((EXAMPLES / "station-sim.yaml").read_text(), Loader=yaml.CSafeLoader)
    data["sim"] = {"seed": 1, **sim}
    return data


def write_station(tmp_path, data, name="station.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_sim_device_file_next_to_the_station_file_is_what_the_bench_simulates(tmp_path):
    (tmp_path / "devices").mkdir()
    (tmp_path / "devices" / "chip7.yaml").write_text(CHIP)
    data = station_data(device="devices/chip7.yaml")
    data["sample"].update(width="3 um", length="12 um", fm_thickness="3 nm")
    config = load_station_file(write_station(tmp_path, data))
    bench = config.build_bench()
    assert bench.device.params == load_device(tmp_path / "devices" / "chip7.yaml")
    assert bench.device.params.ferromagnet.name == "CoFeB"


def test_inline_device_keys_work_like_a_file():
    data = station_data(device={"base": "py-nio", "name": "inline",
                                "top": {"thickness": "6 nm"}})
    bench = parse_station(data, "bench.yaml").build_bench()
    assert bench.device.params.top.thickness == pytest.approx(6e-9)
    assert bench.device.params.name == "inline"


def test_a_sim_station_without_sample_geometry_takes_it_from_the_device(tmp_path):
    (tmp_path / "chip7.yaml").write_text(CHIP)
    data = station_data(device="chip7.yaml")
    data["sample"] = {"id": "chip7-bar3", "two_terminal_resistance": "900 ohm"}
    config = load_station_file(write_station(tmp_path, data))
    assert (config.sample.width, config.sample.length, config.sample.fm_thickness) == \
        pytest.approx((3e-6, 12e-6, 3e-9))
    assert config.sample.id == "chip7-bar3" and "CoFeB 3 nm" in config.sample.stack
    del data["sample"]  # no sample at all: the device is the sample
    config = load_station_file(write_station(tmp_path, data))
    assert config.sample.id == "chip-7" and config.sample.width == pytest.approx(3e-6)


def test_a_hardware_station_never_assumes_its_sample_from_the_sim_device(tmp_path):
    (tmp_path / "chip7.yaml").write_text(CHIP)
    data = station_data(device="chip7.yaml")
    data["backend"] = "visa"
    del data["sample"]["width"]
    with pytest.raises(StationFileError, match=r"sample\.width: missing"):
        load_station_file(write_station(tmp_path, data))


def test_sample_and_device_disagreeing_is_named_with_both_values_and_the_fix(tmp_path):
    (tmp_path / "chip7.yaml").write_text(CHIP)
    path = write_station(tmp_path, station_data(device="chip7.yaml"))
    with pytest.raises(StationFileError) as info:
        load_station_file(path)
    text = str(info.value)
    assert text.startswith(f"{path}: the sample and the simulated device disagree:")
    assert ("sample.fm_thickness (5 nm) differs from ferromagnet.thickness of device file "
            "chip7.yaml (3 nm): make them agree (set sample.fm_thickness: 3 nm, or "
            "ferromagnet.thickness: 5 nm in device file chip7.yaml, or leave "
            "sample.fm_thickness out to take it from the device)") in text
    assert "sample.width (5 um) differs from hall_bar.width" in text
    assert "sample.length (20 um) differs" in text


def test_a_preset_thinner_than_the_sample_points_to_a_device_file():
    data = station_data(preset="py-nio")
    data["sample"]["fm_thickness"] = "3 nm"
    with pytest.raises(StationFileError) as info:
        parse_station(data, "bench.yaml")
    assert ("sample.fm_thickness (3 nm) differs from ferromagnet.thickness of the py-nio "
            "preset (5 nm): to simulate this sample, write a device file with `base: "
            "py-nio` and `ferromagnet: {thickness: 3 nm}` and give it as sim.device") \
        in str(info.value)
    # a preset is a stack: the sample's width and length reshape its bar
    data = station_data(preset="py-nio")
    data["sample"]["width"] = "3 um"
    bench = parse_station(data, "bench.yaml").build_bench()
    assert bench.device.params.hall_bar.width == pytest.approx(3e-6)


def test_a_heavy_metal_device_needs_the_conducting_thickness():
    data = station_data(device={"base": "pt-py"})
    # a sim station takes it from the device: Py 5 nm plus Pt 5 nm
    assert parse_station(data, "b.yaml").sample.conducting_thickness == pytest.approx(1e-8)
    data["backend"] = "visa"  # the real sample's file, opened with --sim
    with pytest.raises(StationFileError, match=r"give sample\.conducting_thickness: 10 nm"):
        parse_station(data, "bench.yaml").build_bench()
    data["sample"]["conducting_thickness"] = "10 nm"
    assert parse_station(data, "bench.yaml").build_bench().device.params.bottom.name == "Pt"
    data["sample"]["conducting_thickness"] = "12 nm"
    with pytest.raises(StationFileError, match=r"sample.conducting_thickness \(12 nm\) "
                                               r"differs"):
        parse_station(data, "bench.yaml").build_bench()


def test_preset_and_device_together_and_bad_devices_are_refused_naming_the_place():
    with pytest.raises(StationFileError, match=r"give sim\.preset or sim\.device, not both"):
        parse_station(station_data(preset="py-nio", device={"base": "py-nio"}), "b.yaml")
    bad = station_data(device={"base": "py-nio", "ferromagnet": {"thicknes": "5 nm"}})
    with pytest.raises(StationFileError) as info:
        parse_station(bad, "b.yaml")
    assert str(info.value).startswith("b.yaml: sim.device is not a valid device file:\n")
    assert "ferromagnet.thicknes: not a key of the ferromagnet; did you mean thickness?" \
        in str(info.value)
    with pytest.raises(StationFileError, match=r"b\.yaml: sim\.device: .*no such device file"):
        parse_station(station_data(device="nowhere.yaml"), "b.yaml")


def test_station_open_with_a_device_file_and_no_station_file_simulates_that_bar():
    with Station.open(sim=True, device=DEVICE, seed=2) as station:
        params = station.bench.device.params
        assert params == load_device(DEVICE)
        assert station.config.sample.width == pytest.approx(params.hall_bar.width)
        assert station.config.sample.fm_thickness == pytest.approx(3e-9)
        assert station.snapshot()["sim"]["device"]["ferromagnet"]["name"] == "CoFeB"
    config = default_sim_config(str(DEVICE))
    assert config.sample.id == "CoFeB 3 nm / NiO 8 nm, chip 7"


def test_a_device_override_on_a_station_file_must_match_its_sample(tmp_path):
    with pytest.raises(StationFileError, match=r"sample\.width .* differs from hall_bar\.width"):
        Station.open(EXAMPLES / "station-sim.yaml", sim=True, device=DEVICE)
    data = station_data()
    for key in ("width", "length", "fm_thickness"):
        del data["sample"][key]
    path = write_station(tmp_path, data)  # the geometry left to the device: it matches
    with Station.open(path, device=DEVICE) as station:
        assert station.config.sample.width == pytest.approx(3e-6)
        assert station.bench.device.params.name == "CoFeB 3 nm / NiO 8 nm, chip 7"


def test_a_device_never_turns_a_hardware_station_into_a_simulated_one():
    with pytest.raises(StationFileError, match=r"opens the hardware .*add --sim"):
        Station.open(EXAMPLES / "station-probe.yaml", device=DEVICE)
    with pytest.raises(StationFileError, match="not both"):
        Station.open(sim=True, device=DEVICE, preset="py-nio")


def test_api_open_station_takes_a_file_keys_or_parameters():
    params = preset("py-nio").with_(name="mine", top=preset("py-nio").top.with_(
        thickness=4e-9))
    with api.open_station(sim=True, device=params, seed=1) as station:
        assert station.bench.device.params == params
    with api.open_station(sim=True, device={"base": "py-coo", "name": "keys"}) as station:
        assert station.bench.device.params.top.name == "CoO"
        # the device and the stack it simulates (a chip's bars differ in it)
        assert station.description == "simulated: keys (SiO2 100 nm / Py 5 nm / CoO 10 nm), " \
            "seed 0"


def test_a_device_file_given_as_station_and_the_reverse_say_which_is_which():
    with pytest.raises(StationFileError, match="is a device file, not a station file: give "
                                               "it as --device FILE"):
        load_station_file(DEVICE)
    from labspin.physics.devicefile import DeviceFileError

    with pytest.raises(DeviceFileError, match="is a station file, not a device file"):
        load_device(EXAMPLES / "station-sim.yaml")
