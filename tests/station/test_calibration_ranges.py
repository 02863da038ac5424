"""A calibration number without its unit is SI (README), so a slipped unit, ``m_s: 800``
meant in kA/m, once became 800 A/m and a xi_DL a thousand times too large with an "ok"
verdict (acceptance tester D). Each entry now has the range a real film can have, and
R_AHE, R_PHE and dR/dT the bound of the bar's own sheet resistance; a value outside is
refused with the key, the value as read, the unit it was taken in and the unit it was
likely meant in, and that suggestion, written back into the file, loads.

Known answers: the values written in the file, in their units."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.stationfile import StationFileError, parse_station
from tests.station.test_samples import chip

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice


def with_calibration(entry: dict, *, two_terminal: str | None = None) -> dict:
    data = chip()
    data["samples"][0]["calibration"] = entry
    if two_terminal is not None:
        data["sample"]["two_terminal_resistance"] = two_terminal
    return data


# bar D1: 5 um x 20 um; with 1 kohm between the pads its sheet resistance is below 250 ohm
@pytest.mark.parametrize(("entry", "two_terminal", "read", "meant"), [
    ({"m_s": "800 ± 4"}, None, "800 ± 4 was read as 800 A/m (a number without a unit is "
                               "in A/m)", "800 ± 4 kA/m"),
    ({"m_s": 1.1}, None, "1.1 was read as 1.1 A/m", "1.1 MA/m"),
    ({"m_eff": 950}, None, "950 was read as 950 T (a number without a unit is in T)",
     "950 mT"),
    ({"m_eff": {"value": -300, "stderr": 20}}, None, "-300 ± 20 was read as -300 T",
     "-300 ± 20 mT"),
    ({"r_ahe": 20000}, None, "20000 was read as 20 kohm", "20000 mohm"),
    ({"r_ahe": "600 ± 1"}, "1 kohm", "600 ± 1 was read as 600 ohm (a number without a "
                                     "unit is in ohm), more than this bar can show: at "
                                     "most 250 ohm", "600 ± 1 mohm"),
    ({"dr_dt": 400}, "1 kohm", "400 was read as 400 ohm/K", "400 mohm/K"),
    ({"threshold_temperature_coefficient": -0.4}, None, "-0.4 was read as -0.4 1/K",
     "-0.4 %/K"),
])
def test_a_slipped_unit_is_refused_with_the_unit_meant(entry, two_terminal, read, meant):
    data = with_calibration(entry, two_terminal=two_terminal)
    with pytest.raises(StationFileError) as refused:
        parse_station(data, "chip.yaml")
    message = str(refused.value)
    [key] = entry
    assert message.startswith("chip.yaml is not a valid station file:")
    assert "samples[D1].calibration" in message and key in message  # the bar by its id
    assert read in message
    assert f"did you mean '{meant}'?" in message
    # the suggestion, written into the file, loads
    fixed = with_calibration({key: meant}, two_terminal=two_terminal)
    value = getattr(parse_station(fixed, "chip.yaml").chip()[0].calibration, key)
    assert value is not None


@pytest.mark.parametrize(("entry", "message"), [
    ({"m_s": "800 A/m"}, "800 A/m was read as 800 A/m, not the saturation magnetization "
                         "of a ferromagnetic film (10 kA/m to 3 MA/m); is the unit right?"),
    ({"m_eff": "-20 T"}, "(-10 T to 3 T)"),
    ({"threshold_temperature_coefficient": "-0.2 1/K"}, "is the unit right?"),
])
def test_an_implausible_value_with_a_unit_is_refused_too(entry, message):
    with pytest.raises(StationFileError, match=message.replace("(", r"\(").replace(
            ")", r"\)").replace("?", r"\?")):
        parse_station(with_calibration(entry), "chip.yaml")


def test_plausible_values_load_with_or_without_units():
    entry = {"m_s": 8e5, "r_ahe": 0.25, "r_phe": 0, "m_eff": -0.3, "dr_dt": "0.4 ohm/K",
             "threshold_temperature_coefficient": "-4e-3 ± 1e-3"}
    cal = parse_station(with_calibration(entry, two_terminal="1 kohm"),
                        "chip.yaml").chip()[0].calibration
    assert (cal.m_s.value, cal.r_ahe.value, cal.r_phe.value) == (8e5, 0.25, 0.0)
    assert (cal.m_eff.value, cal.dr_dt.value) == (-0.3, 0.4)
    assert cal.threshold_temperature_coefficient.value == pytest.approx(-4e-3)
    # a PMA bar of a ferrimagnet: small M_s, strongly negative M_eff
    cal = parse_station(with_calibration({"m_s": "60 kA/m", "m_eff": "-4 T"}),
                        "chip.yaml").chip()[0].calibration
    assert (cal.m_s.value, cal.m_eff.value) == (6e4, -4.0)


def test_the_examples_and_the_demo_calibrations_load():
    from labspin.demo import _calibration
    from labspin.stationfile import load_station_file

    examples = Path(__file__).resolve().parents[2] / "examples"
    for path in sorted(examples.glob("station*.yaml")):
        load_station_file(path)
    assert _calibration("py-nio").m_s is not None


def test_labspin_run_refuses_the_testers_station_before_touching_the_bench(tmp_path):
    """Acceptance tester D's bad/c1.yaml: ``m_s: 800 ± 4`` on a chip's shared sample."""
    data = chip()
    data["sample"]["calibration"] = {"r_ahe": "0.250 ± 0.001 ohm", "m_eff": "0.95 ± 0.005 T",
                                     "m_s": "800 ± 4"}
    station = tmp_path / "c1.yaml"
    station.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, [
        "run", "HarmonicHall", "--station", str(station), "--sim", "--sample", "D3",
        "--data-dir", str(tmp_path / "d"), "--set", "field_magnitudes=0.3, 0.4, 0.5",
        "--set", "angle_step=30", "--set", "current=7 mA"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "calibration.m_s: 800 ± 4 was read as 800 A/m (a number without a unit is in " \
           "A/m)" in result.output
    assert "did you mean '800 ± 4 kA/m'?" in result.output
    assert not list(tmp_path.rglob("*.csv"))  # nothing measured


def test_labspin_fit_refuses_a_slipped_option_and_names_the_unit(tmp_path):
    runner = CliRunner()
    for args, message in ((["--ms", "800"], "--ms 800 was read as 800 A/m (a number alone "
                                            "is in A/m)"),
                          (["--ms", "1.1"], "did you mean '1.1 MA/m'?"),
                          (["--m-eff", "950"], "did you mean '950 mT'?"),
                          (["--r-ahe", "2e4"], "did you mean '2e4 mohm'?"),
                          (["--threshold-coefficient", "-0.4"], "did you mean '-0.4 %/K'?")):
        result = runner.invoke(main, ["fit", str(tmp_path), *args])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
    for args in (["--ms", "800 kA/m"], ["--threshold-coefficient", "-0.4 %/K"],
                 ["--r-phe", "0"]):
        result = runner.invoke(main, ["fit", str(tmp_path), "--workers", "1", *args])
        assert "nothing could be fitted" in result.output, result.output  # accepted



@pytest.mark.parametrize("entry", [{"m_eff": "0.95 ± -0.005 T"},
                                   {"m_eff": {"value": "0.95 T", "stderr": "-5 mT"}}])
def test_a_negative_uncertainty_is_refused_not_taken_as_its_size(entry):
    with pytest.raises(StationFileError, match=r"calibration\.m_eff: the uncertainty "
                                               r"'-\S+ m?T' is negative"):
        parse_station(with_calibration(entry), "chip.yaml")
