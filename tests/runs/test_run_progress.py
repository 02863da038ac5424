"""`labspin run` shows the points as they come and the time left, and ends with the
run's fit, its verdict and the file; warnings, when there are any, stay last."""

from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from rich.console import Console

from labspin.cli import main
from labspin.cli_progress import RunProgress, fit_summary


class Clock:
    def __init__(self):
        self.t = 100.0

    def now(self):
        return self.t


def test_time_left_is_the_hardware_estimate_then_the_pace_of_the_station_clock():
    clock = Clock()
    procedure = SimpleNamespace(planned_points=lambda: 10, estimated_duration=lambda: 600.0)
    bar = RunProgress(Console(file=None, width=120), procedure,
                      SimpleNamespace(sim=True, now=clock.now), label="x")
    assert bar._left() == 600.0 and "on hardware" in bar._left_text()
    clock.t += 40.0  # four points in 40 s of bench time: 10 s each, six to go
    for _ in range(4):
        bar.row({})
    assert bar._left() == pytest.approx(60.0)
    assert bar._left_text() == "~0:01:00 left (bench clock)"
    bar.station = SimpleNamespace(sim=False, now=clock.now)
    bar.bench = False
    assert bar._left_text() == "~0:01:00 left"


def test_a_run_ends_with_its_fit_verdict_and_file(tmp_path):
    result = CliRunner().invoke(main, [
        "run", "SwitchingLoop", "--sim", "--data-dir", str(tmp_path), "--set",
        "pulse_steps=12", "--set", "max_pulse_current=35 mA"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("SwitchingLoop: 49 points, about ")
    assert any("49/49 points" in line for line in lines)
    finished = next(k for k, line in enumerate(lines) if line.startswith("run 1: finished"))
    assert ".csv" in lines[finished]
    fit = lines[finished + 1]
    assert fit.startswith("fit: I_c+ = ") and "mA" in fit and fit.split()[-1] in ("ok",)
    quantities, verdict, _ = fit_summary(lines[finished].split("→ ")[1].strip())
    assert verdict == "ok" and quantities.startswith("I_c+ = ")


def test_a_file_that_cannot_be_fitted_gives_a_reason_not_a_traceback(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("not a run file\n", encoding="utf-8")
    quantities, verdict, reason = fit_summary(bad)
    assert quantities == "" and verdict == "not determined" and reason
