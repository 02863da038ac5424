"""The RF generator's role and limits in a station file, checked like every other limit."""

from pathlib import Path

import pytest
import yaml

from labspin.safety import LimitError, SafetyGuard
from labspin.stationfile import StationFileError, load_station_file, parse_station

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example() -> dict:
    return yaml.load((EXAMPLES / "station-sim.yaml").read_text(), Loader=yaml.CSafeLoader)


def test_the_examples_name_an_rf_source_with_its_limits():
    for name in ("station-sim.yaml", "station-probe.yaml"):
        station = load_station_file(EXAMPLES / name)
        assert station.instruments["rf_source"].driver == "Agilent8257DRF"
        assert station.limits.max_rf_power == pytest.approx(15.0)
        assert station.limits.rf_frequency_range == pytest.approx((1e9, 20e9))


@pytest.mark.parametrize("value, dbm", [(12, 12.0), ("12 dBm", 12.0), ("-3.5dBm", -3.5),
                                        ("10 mW", 10.0), ("1 W", 30.0), ("0.1 mW", -10.0)])
def test_rf_levels_are_read_in_dbm_or_as_powers(value, dbm):
    data = example()
    data["limits"]["max_rf_power"] = value
    assert parse_station(data).limits.max_rf_power == pytest.approx(dbm)


@pytest.mark.parametrize("key, value, message", [
    ("max_rf_power", "loud", "max_rf_power"),
    ("max_rf_power", "-5 mW", "not positive"),
    ("max_rf_power", "3 A", "not in units of W"),
    ("rf_frequency_range", ["20 GHz", "1 GHz"], "first below the second"),
    ("rf_frequency_range", ["1 GHz", "2 T"], "not in units of Hz"),
    ("rf_frequency_range", ["1 GHz"], "rf_frequency_range"),
])
def test_bad_rf_limits_are_named(key, value, message):
    data = example()
    data["limits"][key] = value
    with pytest.raises(StationFileError, match=message):
        parse_station(data, "lab.yaml")


@pytest.mark.parametrize("key", ["max_rf_power", "rf_frequency_range"])
def test_an_rf_generator_without_its_limits_is_refused(key):
    data = example()
    del data["limits"][key]
    with pytest.raises(StationFileError, match=f"instruments.rf_source is an RF generator but "
                                                f"the limits have no {key}"):
        parse_station(data, "lab.yaml")
    del data["instruments"]["rf_source"]
    assert getattr(parse_station(data).limits, key) is None  # no generator, no RF limits


def test_the_guard_checks_level_and_frequency_and_refuses_without_limits():
    station = parse_station(example())
    guard = SafetyGuard(station.limits, station.sample, station.name)
    guard.check_rf(15.0, 20e9)
    with pytest.raises(LimitError, match=r"RF level \(peak envelope\) 15.5 dBm exceeds "
                                         r"limits.max_rf_power = 15 dBm"):
        guard.check_rf(15.5, 10e9)
    with pytest.raises(LimitError, match="RF frequency 0.5 GHz is outside "
                                         r"limits.rf_frequency_range = \[1 GHz, 20 GHz\]"):
        guard.check_rf(0.0, 0.5e9)
    with pytest.raises(LimitError, match="finite"):
        guard.check_rf(float("nan"), 1e9)
    bare = example()
    del bare["instruments"]["rf_source"]
    del bare["limits"]["max_rf_power"]
    plain = parse_station(bare)
    with pytest.raises(LimitError, match=r"has no limits\.max_rf_power"):
        SafetyGuard(plain.limits, plain.sample, plain.name).check_rf(0.0, 5e9)
