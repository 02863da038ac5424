"""One numbering, from 1, wherever the command line shows a run of a queue: the plan,
`queue status`, `labspin runs`, the queue log and the file's own error locations. The
catalog keeps `queue_index` 0-based (the plan's index); only the display adds one."""

import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.procedures import PROCEDURES
from labspin.queues import QueueFileError, parse_queue
from labspin.runs import Catalog


@pytest.fixture(autouse=True)
def test_procedure(monkeypatch):
    monkeypatch.setitem(PROCEDURES, "ReadResistance",
                        "tests.runs.procedures_for_tests:ReadResistance")


def test_runs_count_from_one_in_plan_status_runs_and_log(tmp_path):
    queue = tmp_path / "q.yaml"
    queue.write_text(yaml.safe_dump({"name": "three", "steps": [{
        "procedure": "ReadResistance", "parameters": {"points": 2},
        "sweep": [{"fail_at": {"values": [-1, 0, -1]}}], "on_error": "continue"}]}))
    runner, data = CliRunner(), tmp_path / "data"
    plan = runner.invoke(main, ["queue", "plan", str(queue), "--sim"],
                         env={"COLUMNS": "150"})
    assert plan.exit_code == 0, plan.output
    rows = [line.split("│")[1].strip() for line in plan.output.splitlines()
            if line.startswith("│")]
    assert rows == ["1", "2", "3"]

    ran = runner.invoke(main, ["queue", "run", str(queue), "--sim", "--data-dir", str(data)])
    assert ran.exit_code == 1
    assert "(queue run 2, ReadResistance): failed" in ran.output

    catalog = Catalog(data)
    assert sorted(r.queue_index for r in catalog.query()) == [0, 1, 2]  # stored 0-based
    status = runner.invoke(main, ["queue", "status", str(queue), "--data-dir", str(data)])
    assert "still to run: run 2" in status.output
    listing = runner.invoke(main, ["runs", "--data-dir", str(data)], env={"COLUMNS": "200"})
    assert all(f"1#{n}" in listing.output for n in (1, 2, 3))
    assert "1#0" not in listing.output
    log = (data / "queues" / "queue-0001.log").read_text(encoding="utf-8")
    assert "queue run 1 of 3" in log and "queue run 3 of 3" in log
    assert "index 0" not in log


def test_places_in_a_queue_file_count_from_one():
    with pytest.raises(QueueFileError, match=r"step 2\.sweep level 2\.b\.linspace"):
        parse_queue({"steps": [{"procedure": "A"}, {"procedure": "B", "sweep": [
            {"a": {"values": [1]}}, {"b": {"linspace": [1, 2]}}]}]}, "q.yaml")
