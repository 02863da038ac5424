"""A bar's id in the wrong case (or nearly right) gets a "did you mean" wherever it is
typed: the station file's default_sample, --sample, a queue's sample:, --query."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.queues import QueueFileError, parse_queue, plan_queue
from labspin.runs import Catalog
from labspin.samples import closest_sample
from labspin.station import station_guard
from labspin.stationfile import StationFileError, parse_station

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BARS = ["barA-wide", "barB-narrow", "barC-cofe"]


def chip() -> dict:
    data = yaml.load((EXAMPLES / "station-sim.yaml").read_text(), Loader=yaml.CSafeLoader)
    data["sample"] = {"width": "5 um", "length": "20 um", "fm_thickness": "5 nm"}
    data["samples"] = [{"id": bar} for bar in BARS]
    return data


@pytest.mark.parametrize(("typed", "meant"), [
    ("barc-cofe", "barC-cofe"), ("BARA-WIDE", "barA-wide"), (" barB-narrow ", None),
    ("barC-cof", "barC-cofe"), ("D1", None), ("barC-cofe", None)])
def test_the_closest_bar(typed, meant):
    assert closest_sample(typed, BARS) == (None if typed.strip() in BARS else meant)


def test_the_station_file_and_a_station_lookup_suggest_the_bar():
    data = chip()
    data["default_sample"] = "barc-cofe"
    with pytest.raises(StationFileError, match="did you mean 'barC-cofe'"):
        parse_station(data, "chip.yaml")
    config = parse_station(chip(), "chip.yaml")
    with pytest.raises(StationFileError, match=r"no sample 'barc-cofe'; did you mean "
                                               r"'barC-cofe'\? \(its samples: barA-wide"):
        config.sample_by_id("barc-cofe")
    with pytest.raises(StationFileError, match="its samples are barA-wide, barB-narrow"):
        config.sample_by_id("D7")  # nothing close: the list alone


def test_a_queue_sample_in_the_wrong_case_is_refused_with_the_bar_meant():
    guard = station_guard(parse_station(chip(), "chip.yaml"))
    queue = parse_queue({"steps": [{"procedure": "HallLoop", "sample": "barc-cofe"}]},
                        "q.yaml")
    with pytest.raises(QueueFileError,
                       match="sample 'barc-cofe' is not a bar of the station; did you mean "
                             "'barC-cofe'"):
        plan_queue(queue, "q.yaml", guard)


def test_run_sample_option_suggests_the_bar(tmp_path):
    station = tmp_path / "chip.yaml"
    station.write_text(yaml.safe_dump(chip()))
    result = CliRunner().invoke(main, ["run", "HallLoop", "--station", str(station),
                                       "--sample", "barc-cofe", "--data-dir",
                                       str(tmp_path / "data")])
    assert result.exit_code != 0
    assert "did you mean 'barC-cofe'" in result.output
    assert "Traceback" not in result.output


def test_fit_query_suggests_the_sample_of_the_catalog(tmp_path):
    catalog = Catalog(tmp_path / "data")
    catalog.create_run("HallLoop", {}, "barC-cofe")
    catalog.close()
    result = CliRunner().invoke(main, ["fit", "--query", "sample=barc-cofe", "--data-dir",
                                       str(tmp_path / "data")])
    assert result.exit_code != 0
    assert "did you mean sample=barC-cofe?" in result.output
    assert "Traceback" not in result.output
