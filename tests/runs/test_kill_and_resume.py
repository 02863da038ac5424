"""A queue killed with SIGKILL mid-run resumes without losing or repeating anything.

These tests drive real ``labspin queue run`` processes (forked from a preloaded server,
tests/runs/processes.py), so they wait for them in wall-clock time; the bench inside them
is paced at ten times hardware speed (conftest).
"""

import os
import signal
import sqlite3
import time

import yaml
from click.testing import CliRunner
from pymeasure.experiment import Results

from labspin.cli import main
from labspin.data_folder import locate
from tests.runs import processes


def catalog_rows(data_dir):
    path = data_dir / "catalog.sqlite"
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute(
                "SELECT id, queue_index, status, file FROM runs ORDER BY id")]
    except sqlite3.OperationalError:  # the writer is creating it right now
        return []
    for row in rows:  # the catalog names files relative to its folder
        row["file"] = str(locate(data_dir, row["file"]).path) if row["file"] else None
    return rows


def data_lines(path):
    try:
        with open(path) as f:
            return sum(1 for line in f if line.strip() and not line.startswith("#")) - 1
    except FileNotFoundError:
        return 0


def test_sigkill_mid_queue_then_resume_finishes_every_run_exactly_once(tmp_path, paced_station):
    queue = tmp_path / "night.yaml"
    queue.write_text(yaml.safe_dump({"name": "kill test", "steps": [{
        "procedure": "SwitchingLoop",
        "parameters": {"max_pulse_current": 0.035, "pulse_steps": 8, "pulse_width": 1e-3,
                       "readout": "R_xy dc"},
        "sweep": [{"bias_field": {"values": [0.0, 0.001, 0.002, 0.003]}}]}]}))
    data = tmp_path / "data"
    command = ["queue", "run", str(queue), "--station", str(paced_station), "--data-dir",
               str(data)]
    proc = processes.start(command, tmp_path / "out.txt")
    killed_run = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        running = [r for r in catalog_rows(data)
                   if r["status"] == "running" and r["queue_index"] == 1]
        if running and data_lines(running[0]["file"]) >= 5:
            killed_run = running[0]
            break
        time.sleep(0.02)
    assert killed_run is not None, proc.output()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rows_at_kill = data_lines(killed_run["file"])
    assert rows_at_kill >= 5

    # the resume and the status in this process (the killing was the other's part)
    resumed = CliRunner().invoke(main, [*command, "--resume"])
    assert resumed.exit_code == 0, resumed.output[-2000:]

    runs = catalog_rows(data)
    finished = sorted(r["queue_index"] for r in runs if r["status"] == "finished")
    assert finished == [0, 1, 2, 3]  # every planned run exactly once
    killed = next(r for r in runs if r["id"] == killed_run["id"])
    assert killed["status"] == "interrupted"
    assert len(runs) == 5  # four finished and the one that was killed, nothing else
    # the killed run's rows are intact and reload with pymeasure
    reloaded = Results.load(killed["file"]).data
    assert len(reloaded) >= rows_at_kill
    assert reloaded["Pulse current (A)"].notna().all()
    full = next(r for r in runs if r["queue_index"] == 1 and r["status"] == "finished")
    assert len(Results.load(full["file"]).data) == 4 * 8 + 1

    status = CliRunner().invoke(main, ["queue", "status", str(queue), "--data-dir",
                                       str(data)], env={"COLUMNS": "200"})
    assert "4 finished" in status.output and "1 interrupted" in status.output
    assert "0 still to run" in status.output


def test_sigterm_stops_the_queue_cleanly_and_resume_finishes_it(tmp_path, paced_station):
    queue = tmp_path / "q.yaml"
    queue.write_text(yaml.safe_dump({"name": "term test", "steps": [{
        "procedure": "SwitchingLoop",
        "parameters": {"max_pulse_current": 0.035, "pulse_steps": 8, "readout": "R_xy dc"},
        "repeat": 3}]}))
    data = tmp_path / "data"
    command = ["queue", "run", str(queue), "--station", str(paced_station), "--data-dir",
               str(data)]
    proc = processes.start(command, tmp_path / "out.txt")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        running = [r for r in catalog_rows(data) if r["status"] == "running"]
        if running and data_lines(running[0]["file"]) >= 3:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGTERM)
    code, out = proc.wait(timeout=60), proc.output()
    assert code == 130, out[-2000:]
    assert "the bench is safe" in out
    statuses = [r["status"] for r in catalog_rows(data)]
    assert statuses[-1] == "aborted" and "running" not in statuses
    resumed = CliRunner().invoke(main, [*command, "--resume"])
    assert resumed.exit_code == 0, resumed.output[-2000:]
    assert sorted(r["queue_index"] for r in catalog_rows(data)
                  if r["status"] == "finished") == [0, 1, 2]


def test_malformed_queue_is_refused_by_run_and_nothing_runs(tmp_path):
    queue = tmp_path / "bad.yaml"
    queue.write_text(yaml.safe_dump({"steps": [
        {"procedure": "SwitchingLoop", "parameters": {"pulse_steps": 4}},
        {"procedure": "SwitchingLoop", "parameters": {"max_pulse_current": "300 mA"}}]}))
    data = tmp_path / "data"
    done = CliRunner().invoke(main, ["queue", "run", str(queue), "--sim", "--data-dir",
                                     str(data)])
    assert done.exit_code != 0 and isinstance(done.exception, SystemExit)
    assert "step 2 (SwitchingLoop)" in done.stderr and "max_pulse_current" in done.stderr
    assert "Traceback" not in done.output
    assert catalog_rows(data) == []  # the first, valid step did not run either
