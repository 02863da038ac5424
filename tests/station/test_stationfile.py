"""Station files are validated before any instrument is opened, with errors that say
where and how to fix."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from labspin.drivers import DRIVERS
from labspin.stationfile import KNOWN_DRIVERS, StationFileError, load_station_file, parse_station

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str = "station-sim.yaml") -> dict:
    return yaml.load((EXAMPLES / name).read_text(), Loader=yaml.CSafeLoader)


def test_examples_validate_and_units_become_si():
    sim = load_station_file(EXAMPLES / "station-sim.yaml")
    assert sim.backend == "sim" and sim.sim.preset == "py-nio"
    assert sim.sample.width == pytest.approx(5e-6)
    assert sim.limits.max_current == pytest.approx(0.1)
    assert sim.limits.max_pulse_width == pytest.approx(0.01)
    assert sim.magnets["y"].coil_constant == pytest.approx(0.05)
    probe = load_station_file(EXAMPLES / "station-probe.yaml")
    assert probe.backend == "visa"


def test_driver_names_match_the_driver_registry():
    assert set(KNOWN_DRIVERS) == set(DRIVERS)


@pytest.mark.parametrize(("path", "value", "message"), [
    (("limits", "max_current"), "20 T", "limits.max_current: '20 T' is not in units of A"),
    (("sample", "width"), "wide", "sample.width: 'wide' is not a quantity"),
    (("instruments", "source", "driver"), "Keithley6222", "unknown driver 'Keithley6222'"),
    (("limits", "max_ramp_rate"), -1, "limits.max_ramp_rate"),
    (("sim", "preset"), "py-nix", "unknown device preset 'py-nix'"),
])
def test_bad_values_are_named_with_their_key(path, value, message):
    data = example()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(StationFileError, match=message.replace(".", r"\.")):
        parse_station(data, "bench.yaml")


def test_misspelled_and_missing_keys_are_reported_together():
    data = example()
    data["instruments"]["voltmeter"]["resourse"] = data["instruments"]["voltmeter"].pop(
        "resource")
    del data["limits"]["max_pulse_energy"]
    with pytest.raises(StationFileError) as info:
        parse_station(data, "bench.yaml")
    text = str(info.value)
    assert "instruments.voltmeter.resourse: not a known key" in text
    assert "instruments.voltmeter.resource: missing" in text
    assert "limits.max_pulse_energy: missing" in text


@pytest.mark.parametrize(("path", "typo", "meant"), [
    (("limits",), "max_temprature", "max_temperature"),
    ((), "instrument", "instruments"),
    (("instruments", "source"), "optoins", "options"),
    (("magnets", "x"), "suply", "supply"),
    (("magnets", "x", "supply"), "Driver", "driver"),
    (("sample",), "widht", "width"),
    (("sim",), "seeed", "seed"),
])
def test_a_misspelt_key_is_answered_with_the_key_it_likely_meant(path, typo, meant):
    data = example()
    node = data
    for key in path:
        node = node[key]
    node[typo] = node.pop(meant) if meant in node else 1
    with pytest.raises(StationFileError) as info:
        parse_station(data, "bench.yaml")
    where = ".".join((*path, typo))
    assert f"{where}: not a known key; did you mean {meant}?" in str(info.value)


def test_a_misspelt_queue_key_is_answered_with_the_key_it_likely_meant():
    from labspin.queues import QueueFileError, parse_queue

    with pytest.raises(QueueFileError, match=r"did you mean parameters\?"):
        parse_queue({"name": "q", "steps": [{"procedure": "HallLoop", "parameter": {}}]})


def test_magnet_without_a_field_limit_is_refused():
    data = example()
    del data["limits"]["max_field"]["z"]
    with pytest.raises(StationFileError, match=r"magnets\.z has no limits\.max_field\.z"):
        parse_station(data, "bench.yaml")


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\n  sample: [1,\n")
    with pytest.raises(StationFileError, match=r"broken.yaml: not valid YAML at line 2"):
        load_station_file(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(StationFileError, match="no such station file"):
        load_station_file(tmp_path / "nope.yaml")


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8),
                                                                      children, max_size=3),
    max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(yaml_values)
def test_random_documents_give_a_station_file_error_never_a_crash(data):
    try:
        parse_station(data, "random.yaml")
    except StationFileError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["sample", "limits", "instruments", "magnets", "sim"]), yaml_values)
def test_random_sections_give_a_station_file_error_never_a_crash(section, value):
    data = example()
    data[section] = value
    try:
        parse_station(data, "random.yaml")
    except StationFileError:
        pass


# -- limits within what the instruments deliver ------------------------------------------
def test_current_limit_follows_the_sources_of_the_station():
    data = example()
    data["limits"]["max_current"] = "105 mA"  # the 6221's full scale: allowed
    parse_station(data, "bench.yaml")
    data["limits"]["max_current"] = "150 mA"  # within the 81160A's 200 mA into a short
    parse_station(data, "bench.yaml")
    del data["instruments"]["pulser"]
    with pytest.raises(StationFileError, match=r"limits\.max_current 150 mA .* Keithley 6221 "
                                               r"of this station drives at most 105 mA"):
        parse_station(data, "bench.yaml")


def test_field_limit_is_what_the_coil_can_make():
    data = example()
    data["limits"]["max_field"]["z"] = "0.36 T"  # 30 mT/A x 12 A exactly
    parse_station(data, "bench.yaml")
    data["limits"]["max_field"]["z"] = "0.37 T"
    with pytest.raises(StationFileError, match=r"limits\.max_field\.z 0\.37 T .* = 0\.36 T"):
        parse_station(data, "bench.yaml")
    data["limits"]["max_field"]["z"] = "0.3 T"
    data["magnets"]["z"]["max_current"] = "13 A"
    with pytest.raises(StationFileError, match=r"magnets\.z\.max_current 13 A .* Kepco"):
        parse_station(data, "bench.yaml")


def test_field_limit_on_an_axis_without_magnet_is_bounded():
    data = example()
    del data["magnets"]["y"]
    data["limits"]["max_field"]["y"] = "5 T"  # moot (no magnet) but plausible
    parse_station(data, "bench.yaml")
    data["limits"]["max_field"]["y"] = "1e9 T"
    with pytest.raises(StationFileError, match=r"limits\.max_field\.y .*\(no magnets\.y\)"):
        parse_station(data, "bench.yaml")


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e999 mJ", "inf J"])
def test_every_quantity_must_be_finite(value, tmp_path):
    text = (EXAMPLES / "station-sim.yaml").read_text().replace("max_pulse_energy: 1 mJ",
                                                               f"max_pulse_energy: {value}")
    path = tmp_path / "station.yaml"
    path.write_text(text)
    with pytest.raises(StationFileError, match=r"limits\.max_pulse_energy: .*finite"):
        load_station_file(path)


def test_quantities_are_read_without_evaluating_expressions():
    import time

    from labspin.configfiles import QuantityError, parse_quantity

    assert parse_quantity("100 uA", "A", "") == 1e-4  # exactly, not 9.999999999999999e-05
    assert parse_quantity("27 degC", "K", "") == pytest.approx(300.15)
    assert parse_quantity("2.5e12 A/m^2", "A/m^2", "") == 2.5e12
    assert parse_quantity("20 mT/A", "T/A", "") == pytest.approx(0.02)
    started = time.monotonic()
    for text in ("9**9**9 mA", "2**1000000 A", "A**9**9**9", "(1+1) A", "__import__('os')",
                 "1 A; 2 A", "1" * 300):
        with pytest.raises(QuantityError):
            parse_quantity(text, "A", "'20 mA'")
    assert time.monotonic() - started < 1.0
