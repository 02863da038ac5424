"""The catalog and the headless runner: status, files reloadable, rows kept on failure."""

import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner
from pymeasure.experiment import Results

from labspin.cli import main
from labspin.runs import Catalog, open_catalog, run_procedure
from labspin.station import Station

from .procedures_for_tests import ReadResistance


class Readings(ReadResistance):
    """R_xx a few times (the shared test procedure, under this file's name)."""


@pytest.fixture
def station():
    with Station.open(sim=True, preset="py-nio", seed=2) as st:
        yield st


def test_a_finished_run_is_in_the_catalog_and_reloads_with_pymeasure(station, tmp_path):
    with open_catalog(tmp_path) as catalog:
        record = run_procedure(Readings(points=3), station, catalog)
    assert record.status == "finished" and record.rows == 3 and record.error is None
    assert record.parameters["points"] == 3
    assert record.station["instruments"]["voltmeter"]["idn"].startswith("KEITHLEY")
    results = Results.load(record.file)
    assert list(results.data["Index"]) == [0, 1, 2]
    r_true = station.bench.device.resistances(1e-4).xx
    assert results.data["R_xx (ohm)"].mean() == pytest.approx(r_true, rel=1e-3)
    assert results.procedure.sample_id == "sim-py-nio"
    assert "simulated: py-nio" in results.procedure.bench_description


def test_a_failing_run_keeps_its_rows_and_says_why(station, tmp_path):
    with open_catalog(tmp_path) as catalog:
        record = run_procedure(Readings(points=5, fail_at=2), station, catalog)
    assert record.status == "failed"
    assert "RuntimeError: failed on purpose at point 2" in record.error
    assert len(Results.load(record.file).data) == 2
    assert station.bench.dc_current() == 0.0


def test_stop_request_aborts_and_ctrl_c_propagates_after_cleanup(station, tmp_path):
    with open_catalog(tmp_path) as catalog:
        calls = iter([False, False, True])
        record = run_procedure(Readings(points=5), station, catalog,
                               should_stop=lambda: next(calls, True))
        assert record.status == "aborted" and record.rows == 2
        with pytest.raises(KeyboardInterrupt):
            run_procedure(Readings(points=5, interrupt_at=1), station, catalog)
        last = catalog.query()[-1]
    assert last.status == "aborted" and last.rows == 1
    assert station.bench.dc_current() == 0.0


class TooMuch(Readings):
    def check_limits(self, guard):
        guard.check_current(1.0)


def test_limits_are_checked_before_the_run_touches_anything(station, tmp_path):
    with open_catalog(tmp_path) as catalog:
        record = run_procedure(TooMuch(), station, catalog)
    assert record.status == "failed" and "LimitError" in record.error
    assert "limits.max_current" in record.error
    assert Results.load(record.file).data.empty


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(tmp_path):
    catalog = Catalog(tmp_path)
    run_id = catalog.create_run("Readings", {}, "s1")
    catalog.start_run(run_id, tmp_path / "x.csv", {})
    catalog._db.execute("UPDATE runs SET pid=? WHERE id=?", (2**22 + 12345, run_id))
    assert catalog.mark_interrupted() == [run_id]
    assert catalog.get(run_id).status == "interrupted"
    live = catalog.create_run("Readings", {}, "s1")
    catalog.start_run(live, tmp_path / "y.csv", {})  # this process: still running
    assert catalog.mark_interrupted() == []


def test_queries_filter_the_catalog(station, tmp_path):
    with open_catalog(tmp_path) as catalog:
        run_procedure(Readings(points=1), station, catalog)
        run_procedure(Readings(points=3, fail_at=1), station, catalog)
        assert [r.status for r in catalog.query()] == ["finished", "failed"]
        assert len(catalog.query(status="failed")) == 1
        assert len(catalog.query(procedure="Readings", sample="sim-py-nio")) == 2
        assert len(catalog.query(limit=1)) == 1


def test_a_run_killed_before_it_started_is_no_ghost(tmp_path):
    """A process killed between queuing a run and starting it leaves a 'queued' row; the
    next start marks it interrupted, and `labspin runs` lists no queued run."""
    data = tmp_path / "data"
    script = ("import os, sys; from labspin.runs import Catalog; c = Catalog(sys.argv[1]); "
              "c.create_run('HallLoop', {}, 's1', 7, 0); os.kill(os.getpid(), 9)")
    subprocess.run([sys.executable, "-c", script, str(data)], timeout=60)
    c = Catalog(data)
    assert [r.status for r in c.query()] == ["queued"]  # what the kill left
    c.close()
    # a catalog of an older labspin: a queued run with no process noted
    with sqlite3.connect(data / "catalog.sqlite") as db:
        db.execute("INSERT INTO runs (procedure, parameters, status, created) "
                   "VALUES ('HallLoop', '{}', 'queued', 0)")
    result = CliRunner().invoke(main, ["runs", "--data-dir", str(data)],
                                env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "│ queued" not in result.output and "interrupted" in result.output
    with open_catalog(data) as c:
        records = c.query()
        assert [r.status for r in records] == ["interrupted", "interrupted"]
        assert "ended before it started" in records[0].error


def test_a_live_process_keeps_its_queued_run(tmp_path):
    with open_catalog(tmp_path) as c:
        run_id = c.create_run("HallLoop", {}, "s1")
        assert c.mark_interrupted() == []
        assert c.get(run_id).status == "queued"
