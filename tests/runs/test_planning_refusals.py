"""Every procedure, given hostile but parseable settings (signs, zero, the ends of each
range, reversed ranges), through ``labspin run`` and ``labspin queue plan`` in this
process: each is either accepted or refused with a one-line message and a non-zero exit,
never a traceback, and a refused run opens no station. ``run`` and ``queue plan`` agree
on which settings they refuse (the plan names the step of each).

A conflict between settings found while counting the planned points (the pulse currents
of a switching-probability run of both signs) once escaped as a traceback before
labspin's error handling.
"""

import itertools
import re
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

import labspin.cli  # noqa: F401  (first: it registers the command modules)
from labspin import cli_measure, plan_problems
from labspin.cli import main
from labspin.procedures import PROCEDURES, procedure_class
from labspin.settings import _kind, quantity_text

STATION = Path(__file__).resolve().parents[2] / "examples" / "station-sim.yaml"
#: texts a text parameter reads, and some it reads into hostile values
TEXTS = ["0", "-1", "1e30", "-5, 5", "0.5, 0.5", "1e-30"]
SEQUENCES = ["0 mA x 1 ms", "-30 mA x 1 ns", "+200 mA x 12 ms *1000", "+30 mA x 0 s"]


def _text(param, value: float) -> str:
    return quantity_text(value, getattr(param, "units", None))


def hostile_settings(name: str) -> list[dict[str, str]]:
    """One parameter at a time at its edges (both signs, zero when in range), and each
    pair of parameters of one unit swapped to the ends of their ranges (a reversed range)."""
    params = procedure_class(name)().parameter_objects()
    cases: list[dict[str, str]] = []
    numeric = {k: p for k, p in params.items() if _kind(p) in ("number", "whole")}
    for key, param in numeric.items():
        edges = {param.minimum, param.maximum, -param.minimum, -param.maximum, 0}
        cases += [{key: _text(param, v)} for v in sorted(edges)
                  if param.minimum <= v <= param.maximum]
    for (a, pa), (b, pb) in itertools.permutations(numeric.items(), 2):
        if getattr(pa, "units", None) == getattr(pb, "units", None):
            low_b = min(max(pa.minimum, pb.minimum), pb.maximum)
            cases.append({a: _text(pa, pa.maximum), b: _text(pb, low_b)})
    for key, param in params.items():
        if _kind(param) == "text" and key != "stage_temperature":
            texts = SEQUENCES if key == "sequence" else TEXTS
            cases += [{key: text} for text in texts]
    # each case in every mode (a check may hold in one mode only)
    for key, param in params.items():
        if _kind(param) == "choice" and key == "mode":
            cases = [{**case, key: str(c)} for case in cases for c in param.choices]
    return cases


@pytest.fixture
def stations_opened(monkeypatch) -> list[str]:
    """Runs that got as far as opening the station (accepted settings): none is run."""
    opened: list[str] = []

    def record(*args, **kwargs):
        opened.append("opened")
        raise click.exceptions.Exit(0)

    monkeypatch.setattr(cli_measure, "open_station", record)
    return opened


def _run(runner: CliRunner, name: str, case: dict[str, str], data_dir: Path):
    args = ["run", name, "--station", str(STATION), "--data-dir", str(data_dir)]
    for key, value in case.items():
        args += ["--set", f"{key}={value}"]
    return runner.invoke(main, args, env={"COLUMNS": "300"})


@pytest.mark.parametrize("name", list(PROCEDURES))
def test_hostile_settings_are_refused_in_one_line_by_run_and_plan(
        name, tmp_path, stations_opened, monkeypatch):
    cases = hostile_settings(name)
    runner = CliRunner()
    refused_by_run: set[int] = set()
    for number, case in enumerate(cases, start=1):
        before = len(stations_opened)
        result = _run(runner, name, case, tmp_path / "data")
        shown = f"labspin run {name} {case}:\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            f"{shown}\nescaped: {result.exception!r}"
        assert "Traceback" not in result.output, shown
        if result.exit_code != 0:
            refused_by_run.add(number)
            assert len(stations_opened) == before, f"{shown}\nrefused, yet opened"
            lines = [line for line in result.output.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("Error: "), shown
        else:
            assert len(stations_opened) == before + 1, shown
    assert refused_by_run, f"no hostile setting of {name} was refused"
    assert len(refused_by_run) < len(cases), f"every setting of {name} was refused"

    # the same settings, one step each, in a queue
    queue = tmp_path / "hostile.yaml"
    queue.write_text(yaml.safe_dump({
        "name": "hostile", "station": str(STATION),
        "steps": [{"procedure": name, "parameters": case} for case in cases]}))
    monkeypatch.setattr(plan_problems, "MAX_PROBLEMS_SHOWN", 10**6)
    result = runner.invoke(main, ["queue", "plan", str(queue)], env={"COLUMNS": "300"})
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"queue plan escaped: {result.exception!r}\n{result.output[-2000:]}"
    assert "Traceback" not in result.output
    assert result.exit_code == 1
    refused_by_plan = {int(n) for n in re.findall(r"^  - step (\d+) \(", result.output,
                                                  re.MULTILINE)}
    assert refused_by_plan == refused_by_run


def test_a_switching_probability_of_both_signs_names_the_conflict_and_the_run(tmp_path):
    result = CliRunner().invoke(main, [
        "run", "SwitchingProbability", "--sim", "--set", "amplitude_min=-70 mA",
        "--set", "trials=2", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "must all have the same sign" in result.output
    queue = tmp_path / "q.yaml"
    queue.write_text(yaml.safe_dump({"name": "q", "steps": [
        {"procedure": "HallLoop"},
        {"procedure": "SwitchingProbability",
         "parameters": {"amplitude_min": "-30 mA", "trials": 2}}]}))
    for command in ("plan", "run"):
        result = CliRunner().invoke(main, ["queue", command, str(queue), "--sim",
                                           "--data-dir", str(tmp_path / "d")]
                                    if command == "run" else
                                    ["queue", command, str(queue), "--sim"])
        assert isinstance(result.exception, SystemExit) and result.exit_code == 1, \
            result.output
        assert re.search(r"step 2 \(SwitchingProbability\), run 2: the pulse currents "
                         r"must all have the same sign", result.output), result.output
        assert "Traceback" not in result.output
