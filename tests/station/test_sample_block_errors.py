"""Problems of a chip's shared ``sample:`` block and of its bars said as the user wrote
them (tester D, finding 11): the key as written, once; the value as written with the
unit a bare number was taken in; a fix for a value that must be positive."""

from __future__ import annotations

import pytest

from labspin.stationfile import StationFileError, parse_station
from tests.station.test_samples import chip

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _problems(data: dict) -> list[str]:
    with pytest.raises(StationFileError) as caught:
        parse_station(data, "chip.yaml")
    lines = str(caught.value).splitlines()
    assert lines[0] == "chip.yaml is not a valid station file:"
    return [line.strip() for line in lines[1:]]


def _shared(**changes) -> dict:
    data = chip()
    data["sample"] = {**data["sample"], **changes}
    return data


def test_a_bare_number_in_the_shared_block_is_said_once_as_written():
    assert _problems(_shared(width=4)) == [
        "sample.width: 4 (taken as 4 m: write the unit, e.g. 4 um): a Hall bar on a chip "
        "is at most 10 mm"]


def test_a_shared_thickness_without_unit_is_not_shown_in_nanometres():
    data = chip()
    data["sample"]["afmi_thickness"] = 3
    for bar in data["samples"]:
        bar.pop("afmi_thickness")
    problems = _problems(data)
    assert problems == [
        "sample.afmi_thickness: 3 (taken as 3 m: write the unit, e.g. 3 nm): a film of a "
        "spin-orbit-torque stack is at most 1000 nm thick"]
    assert not any("e+09" in p or "samples." in p for p in problems)


@pytest.mark.parametrize(("key", "value", "fix"), [
    ("width", 0, "give the bar's width with its unit, e.g. 4 um"),
    ("fm_thickness", "0 nm", "give the ferromagnet's thickness with its unit, e.g. 4 nm"),
    ("two_terminal_resistance", "-5 ohm", "give the resistance between the current pads"),
])
def test_a_shared_value_that_must_be_positive_says_the_value_and_the_fix(key, value, fix):
    (problem,) = _problems(_shared(**{key: value}))
    assert problem.startswith(f"sample.{key}: {value}: must be more than zero; {fix}")
    assert "Input should be" not in problem


def test_a_bars_own_value_names_the_bar_by_its_id_not_a_zero_based_index():
    data = chip()
    data["samples"][1]["afmi_thickness"] = "0 nm"
    assert _problems(data) == [
        "samples[D2].afmi_thickness: 0 nm: must be more than zero; give the "
        "antiferromagnetic insulator's thickness with its unit, e.g. 3 nm, or leave "
        "afmi_thickness out for a bar without one"]
    data = chip()
    data["samples"][2]["afmi_thickness"] = 3
    assert _problems(data) == [
        "samples[D3].afmi_thickness: 3 (taken as 3 m: write the unit, e.g. 3 nm): a film "
        "of a spin-orbit-torque stack is at most 1000 nm thick"]


def test_a_bar_overriding_a_bad_shared_value_is_fine_and_the_others_are_said_once():
    data = _shared(length="20 m")
    data["samples"][0]["length"] = "20 um"
    assert _problems(data) == [
        "sample.length: 20 m: a Hall bar on a chip is at most 10 mm; is the unit right "
        "(e.g. 5 um)?"]


def test_bars_given_as_a_mapping_are_named_by_their_key():
    data = chip()
    data["samples"] = {bar.pop("id"): bar for bar in data["samples"]}
    data["samples"]["D2"]["width"] = 4
    assert _problems(data) == [
        "samples.D2.width: 4 (taken as 4 m: write the unit, e.g. 4 um): a Hall bar on a "
        "chip is at most 10 mm"]


def test_a_misspelt_shared_key_is_said_once_under_sample():
    assert _problems(_shared(afmi_thicknes="3 nm")) == [
        "sample.afmi_thicknes: not a known key; did you mean afmi_thickness?"]


def test_a_shared_calibration_problem_is_said_once_under_sample():
    data = chip()
    data["sample"]["calibration"]["m_s"] = "800 kg"
    problems = _problems(data)
    assert len(problems) == 1 and problems[0].startswith("sample.calibration.m_s: ")


def test_a_station_of_one_sample_says_its_value_as_written():
    data = chip()
    data.pop("samples")
    data["sample"] = {**data["sample"], "id": "solo", "width": 4}
    assert _problems(data) == [
        "sample.width: 4 (taken as 4 m: write the unit, e.g. 4 um): a Hall bar on a chip "
        "is at most 10 mm"]
