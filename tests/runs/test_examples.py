"""The shipped examples work as documented."""

import runpy
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from labspin.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("queue", sorted((EXAMPLES / "queues").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_example_queues_plan_within_the_station_limits(queue):
    result = CliRunner().invoke(main, ["queue", "plan", str(queue)])
    assert result.exit_code == 0, result.output
    assert "within the station limits" in result.output


def test_overnight_script_runs_on_the_simulated_bench(tmp_path, monkeypatch, capsys):
    # as ``python examples/overnight.py --data-dir ...`` runs it, without paying the imports
    # of a second interpreter
    monkeypatch.setattr(sys, "argv", ["overnight.py", "--data-dir", str(tmp_path)])
    runpy.run_path(str(EXAMPLES / "overnight.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "USMR loop: run 1 finished" in out
    assert out.count("I_c+ =") == 3


def test_run_command_reports_bad_input_without_a_traceback(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["run", "SwitchingLoop", "--set", "pulse_widht=1 ms",
                                  "--sim", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0 and "has no parameter 'pulse_widht'" in result.output
    result = runner.invoke(main, ["run", "SwitchingLoop", "--set", "pulse_width=1 T",
                                  "--sim", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0 and "not in units of s" in result.output
    result = runner.invoke(main, ["run", "NoSuch", "--sim", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0 and "unknown procedure 'NoSuch'" in result.output
    assert "Traceback" not in result.output


def test_run_command_runs_and_lists(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["run", "HallLoop", "--set", "field_max=20 mT",
                                  "--set", "field_step=5 mT", "--sim", "--preset",
                                  "cofeb-nio-pma", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "finished" in result.output
    listing = runner.invoke(main, ["runs", "--data-dir", str(tmp_path)])
    assert "HallLoop" in listing.output and "finished" in listing.output
    failing = runner.invoke(main, ["run", "SwitchingLoop", "--set", "pulse_width=11 ms",
                                   "--sim", "--data-dir", str(tmp_path)])
    assert failing.exit_code == 1 and "max_pulse_width" in failing.output
