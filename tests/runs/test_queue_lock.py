"""One runner per queue and data folder: the second is refused naming the first, before
any instrument is opened; the lock dies with its process (kill -9 leaves none).

The race tests drive real ``labspin`` processes (forked from a preloaded server,
tests/runs/processes.py). Each waits, fully imported, for a "go" file, so that the two
reach the lock within milliseconds of each other whatever the machine's load; the bench
inside them is paced at ten times hardware speed (conftest), so a run lasts while the test
looks at it.
"""

import os
import re
import signal
import socket
import sqlite3
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.queue_lock import QueueBusy, QueueLock, current_runner, lock_path
from labspin.station import Station
from tests.runs import processes

QUEUE = {"name": "race", "steps": [{
    "procedure": "SwitchingLoop",
    "parameters": {"max_pulse_current": "35 mA", "pulse_steps": 6, "pulse_width": "1 ms",
                   "readout": "R_xy dc"},
    "sweep": [{"bias_field": {"values": ["0 mT", "1 mT", "2 mT", "3 mT"]}}]}]}

def queue_file(tmp_path: Path) -> Path:
    path = tmp_path / "night.yaml"
    path.write_text(yaml.safe_dump(QUEUE))
    return path


def catalog(data: Path, sql: str) -> list[dict]:
    with sqlite3.connect(f"file:{data / 'catalog.sqlite'}?mode=ro", uri=True,
                         timeout=10) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(sql)]


def start_together(tmp_path: Path, commands: list[list[str]], tag: str):
    """Start one process per command, wait until each is imported and waiting, then
    let them all go at once."""
    go = tmp_path / f"go-{tag}"
    procs, readies = [], []
    for k, args in enumerate(commands):
        ready = tmp_path / f"ready-{tag}-{k}"
        readies.append(ready)
        procs.append(processes.start(args, tmp_path / f"out-{tag}-{k}.txt", ready, go))
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in readies):
        assert time.monotonic() < deadline, "the racers did not start"
        assert all(p.poll() is None for p in procs), [p.output() for p in procs]
        time.sleep(0.01)
    go.touch()
    return procs


def finish(procs, timeout=180):
    return [(p.wait(timeout=timeout), p.output()) for p in procs]


def test_second_acquire_is_refused_naming_pid_and_host_until_released(tmp_path):
    queue = queue_file(tmp_path)
    first = QueueLock(tmp_path / "data", queue).acquire()
    with pytest.raises(QueueBusy) as info:
        QueueLock(tmp_path / "data", str(queue.parent / "." / queue.name)).acquire()
    text = str(info.value)
    assert f"pid {os.getpid()} on {socket.gethostname()} since " in text
    runner = current_runner(tmp_path / "data", queue)
    assert runner is not None and runner.here and runner.pid == os.getpid()
    first.release()
    assert current_runner(tmp_path / "data", queue) is None
    with QueueLock(tmp_path / "data", queue):  # free again
        pass
    # another data folder or another queue file is another queue
    with QueueLock(tmp_path / "data", queue), QueueLock(tmp_path / "other", queue), \
            QueueLock(tmp_path / "data", tmp_path / "other.yaml"):
        pass


def test_a_refused_runner_opens_no_station(tmp_path, monkeypatch):
    queue = queue_file(tmp_path)
    opened = []
    monkeypatch.setattr(Station, "open", classmethod(lambda cls, *a, **k: opened.append(a)))
    with QueueLock(tmp_path / "data", queue):
        for extra in ([], ["--resume"]):
            result = CliRunner().invoke(main, ["queue", "run", str(queue), "--sim",
                                               "--data-dir", str(tmp_path / "data"), *extra])
            assert result.exit_code == 1, result.output
            assert "already running" in result.output
            assert f"pid {os.getpid()} on {socket.gethostname()}" in result.output
            assert "Traceback" not in result.output
    assert opened == []
    assert not (tmp_path / "data" / "catalog.sqlite").exists() or catalog(
        tmp_path / "data", "SELECT id FROM queues") == []


def wait_for(condition, what, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, proc.output()[-2000:]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_of_two_runners_one_runs_kill_9_frees_the_lock_and_of_two_resumes_one_finishes(
        tmp_path, paced_station):
    queue = queue_file(tmp_path)
    data = tmp_path / "data"
    command = ["queue", "run", str(queue), "--station", str(paced_station), "--data-dir",
               str(data)]
    # two runners started together on a fresh queue: one runs, the other is refused at once
    racers = start_together(tmp_path, [command, command], "first")
    deadline = time.monotonic() + 120
    while all(p.poll() is None for p in racers):
        assert time.monotonic() < deadline, "neither racer was refused"
        time.sleep(0.01)
    [refused] = [p for p in racers if p.poll() is not None]
    [runner] = [p for p in racers if p is not refused]
    text = refused.output()
    assert refused.poll() != 0 and "already running" in text, text
    assert "Traceback" not in text and f"on {socket.gethostname()} since" in text

    def second_run_started():
        try:
            return any(r["queue_index"] == 1 for r in catalog(
                data, "SELECT queue_index FROM runs WHERE status IN ('queued', 'running')"))
        except sqlite3.OperationalError:
            return False

    wait_for(second_run_started, "the second run", runner)
    holder = current_runner(data, queue)
    assert holder is not None and holder.pid == runner.pid and holder.queue_id == 1
    status = CliRunner().invoke(main, ["queue", "status", str(queue), "--data-dir",
                                       str(data)])
    assert f"running now: pid {runner.pid} on {socket.gethostname()}" in status.output
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    assert current_runner(data, queue) is None  # at once: no stale lock
    assert lock_path(data, queue).exists()

    status = CliRunner().invoke(main, ["queue", "status", str(queue), "--data-dir",
                                       str(data)])
    assert "interrupted" in status.output and "running now" not in status.output

    resume = [*command, "--resume"]
    outcomes = finish(start_together(tmp_path, [resume, resume], "resume"))
    codes = sorted(code for code, _ in outcomes)
    assert codes[0] == 0 and codes[1] != 0, outcomes
    assert "already running" in next(text for code, text in outcomes if code != 0)

    runs = catalog(data, "SELECT queue_index, status FROM runs ORDER BY id")
    finished = sorted(r["queue_index"] for r in runs if r["status"] == "finished")
    assert finished == [0, 1, 2, 3]  # every run exactly once
    assert next(r["status"] for r in runs if r["queue_index"] == 1) == "interrupted"
    assert not [r for r in runs if r["status"] in ("queued", "running")]
    assert catalog(data, "SELECT status FROM queues") == [{"status": "finished"}]
    listed = CliRunner().invoke(main, ["runs", "--data-dir", str(data)],
                                env={"COLUMNS": "250"})
    statuses = re.findall(r"^\s*\d+\s+SwitchingLoop\s+\S+\s+(\w+)", listed.output,
                          re.MULTILINE)
    assert sorted(statuses) == ["finished"] * 4 + ["interrupted"], listed.output
