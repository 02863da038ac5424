"""``labspin run`` and ``labspin queue run`` check the bench before their first run: what a
previous process left on (a kill -9, a crash) is said in the words of ``labspin station
check`` and made safe before anything is measured; a bench that cannot be made safe is
not measured on at all."""

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import labspin.runs
from labspin.cli import main
from labspin.runs import Catalog
from labspin.stationfile import StationFile

from .conftest import EXAMPLE_STATION, left_on_bench

HALL = ["--set", "field_axis=z", "--set", "field_max=10 mT", "--set", "field_step=5 mT",
        "--set", "settle_time=10 ms"]
SINE = ("Found: source (the current source) was driving a 5 mA sine at 1333 Hz (armed or "
        "running), left on by a previous process: aborted; it now reads off")
MAGNET = ("Found: magnet x was at 200 mT (4 A), left on by a previous process: ramped to "
          "zero at 0.5 T/s and switched off; it now reads")


@pytest.fixture
def left_on(monkeypatch):
    """The example bench as a killed HarmonicHall leaves hardware (magnet x at 200 mT, the
    6221's sine running with OUTP? 0); the next station opened on the file gets it. The
    bench at the start of each run is recorded from the bench itself."""
    bench = left_on_bench()
    assert bench.ac_source() is not None and bench.coils["x"].current == pytest.approx(4)
    monkeypatch.setattr(StationFile, "build_bench", lambda self, *a, **k: bench)
    at_start = []
    run_procedure = labspin.runs.run_procedure

    def first_look(procedure, station, *args, **kwargs):
        at_start.append((station.bench.coils["x"].current, station.bench.ac_source()))
        return run_procedure(procedure, station, *args, **kwargs)

    monkeypatch.setattr(labspin.runs, "run_procedure", first_look)
    return bench, at_start


def test_labspin_run_says_what_was_left_on_and_makes_it_safe_before_measuring(left_on,
                                                                              tmp_path):
    bench, at_start = left_on
    result = CliRunner().invoke(main, ["run", "HallLoop", "--station", str(EXAMPLE_STATION),
                                       "--data-dir", str(tmp_path), *HALL],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert SINE in out and MAGNET in out
    assert out.index(MAGNET) < out.index("run 1: finished")
    assert at_start == [(pytest.approx(0, abs=1e-9), None)]  # the bench when measuring began
    assert bench.ac_source() is None and all(  # and after
        coil.current == pytest.approx(0, abs=1e-9) and not coil.output_enabled
        for coil in bench.coils.values())


def faulty(tmp_path: Path) -> Path:
    """The example station whose magnet x supply is unreachable after it answers *IDN?."""
    data = yaml.safe_load(EXAMPLE_STATION.read_text(encoding="utf-8"))
    data["sim"]["faults"] = {"magnet_x": {"drop_after": 1}}
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["run", "queue run"])
def test_a_bench_that_cannot_be_made_safe_at_the_start_is_not_measured_on(tmp_path,
                                                                         command):
    station = faulty(tmp_path)
    data = tmp_path / "data"
    if command == "run":
        args = ["run", "HallLoop", *HALL]
    else:
        queue = tmp_path / "q.yaml"
        queue.write_text(yaml.safe_dump({"name": "q", "steps": [{
            "procedure": "HallLoop", "parameters": {"field_axis": "z", "field_max": 0.01,
                                                    "field_step": 0.005}}]}))
        args = ["queue", "run", str(queue)]
    result = CliRunner().invoke(main, [*args, "--station", str(station), "--data-dir",
                                       str(data)], env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stdout.strip().splitlines()
    assert "Nothing was measured: the bench could not be confirmed safe before the first " \
           "run" in result.stdout
    assert lines[-1].startswith("WARNING: magnet x (KepcoBOP3612 at GPIB0::1::INSTR)"), lines
    assert "check by hand that its output is off" in lines[-1]
    assert Catalog(data).query() == []  # no run was started
