"""A queue stops after a run whose shutdown could not confirm the bench safe (a magnet
supply that stopped answering may still carry current), whatever its step's on_error
says: the next run would start on that bench."""

from pathlib import Path

import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.runs import Catalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LOOP = {"field_axis": "z", "field_max": "10 mT", "field_step": "2 mT"}


def _queue(tmp_path, faults, on_error="continue"):
    station = yaml.load((EXAMPLES / "station-sim.yaml").read_text(encoding="utf-8"),
                        Loader=yaml.CSafeLoader)
    station["sim"]["faults"] = faults
    (tmp_path / "station.yaml").write_text(yaml.safe_dump(station), encoding="utf-8")
    queue = {"name": "night", "station": "station.yaml", "steps": [
        {"procedure": "HallLoop", "parameters": LOOP, "repeat": 3, "on_error": on_error}]}
    path = tmp_path / "queue.yaml"
    path.write_text(yaml.safe_dump(queue), encoding="utf-8")
    return path


def test_a_magnet_lost_mid_run_stops_the_queue_and_its_warning_comes_last(tmp_path):
    # the z supply's connection drops after 40 messages: in the middle of run 1's loop
    queue = _queue(tmp_path, {"magnet_z": {"drop_after": 40}})
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["queue", "run", str(queue), "--data-dir", str(data)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("WARNING: magnet z (KepcoBOP3612")
    assert "switch its output off by hand" in lines[-1]
    assert "stopped after run 1: the bench was not confirmed safe" in result.output

    catalog = Catalog(data)
    records = catalog.query()
    assert [r.status for r in records] == ["failed"]  # runs 2 and 3 never started
    assert catalog.latest_queue()["status"] == "stopped"
    status = CliRunner().invoke(main, ["queue", "status", str(queue), "--data-dir", str(data)])
    assert "stopped" in status.output and "still to run: runs 1-3" in status.output
    log = Path(catalog.latest_queue()["log_file"]).read_text(encoding="utf-8")
    assert "not confirmed safe" in log and "queue run 1 of 3" in log


def test_a_failed_run_on_a_safe_bench_lets_on_error_continue(tmp_path):
    # the voltmeter times out mid-run 1; the bench is made safe, so runs 2 and 3 go on
    queue = _queue(tmp_path, {"voltmeter": {"timeout_after": 30}})
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["queue", "run", str(queue), "--data-dir", str(data)])
    assert result.exit_code == 1, result.output
    statuses = [r.status for r in Catalog(data).query()]
    assert len(statuses) == 3 and statuses.count("failed") >= 1
    assert "WARNING" not in result.output
