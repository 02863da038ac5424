"""The status page reads one moment: the bench state it shows is never from after a run
that its queue and run sections still show running (it once said "safe as of end of run
3" above "now run 2", the runner having gone on between the page's reads)."""

from labspin.bench_state import BenchState
from labspin.observe import WATCH_DIR, write_json
from labspin.runs import Catalog
from labspin.watch.status import StatusSource


def _end(catalog, run_id, tmp_path):
    catalog.finish_run(run_id, "finished", None, 3)
    state = BenchState(station="sim", fields={"y": 0.0}, outputs={"source output": False})
    write_json(tmp_path / "data" / WATCH_DIR / "bench.json",
               {**state.as_dict(), "after_run": run_id, "run_status": "finished"})


def _start(catalog, tmp_path, n):
    run_id = catalog.create_run("HallLoop", {}, "bar", None, None)
    file = tmp_path / f"run{n}.csv"
    file.write_text("#Procedure: x\nA,B\n1,2\n", encoding="utf-8")
    catalog.start_run(run_id, file, {})
    return run_id


def test_the_bench_shown_is_from_a_run_the_page_shows_ended(tmp_path, monkeypatch):
    catalog = Catalog(tmp_path / "data")
    _end(catalog, _start(catalog, tmp_path, 1), tmp_path)
    second = _start(catalog, tmp_path, 2)
    source = StatusSource(tmp_path / "data")
    read = source._running

    def runner_goes_on(run):  # while the page reads, run 2 ends and run 3 comes and goes
        out = read(run)
        _end(catalog, second, tmp_path)
        _end(catalog, _start(catalog, tmp_path, 3), tmp_path)
        return out

    monkeypatch.setattr(source, "_running", runner_goes_on)
    status = source.status()
    assert status["running"]["id"] == second
    ended = {r["id"] for r in status["last_runs"] if r["status"] != "running"}
    assert status["bench"]["after_run"] in ended
    assert status["bench"]["after_run"] == 1
    # the next page has caught up: run 3 ended, the bench after it, nothing running
    monkeypatch.setattr(source, "_running", read)
    status = source.status()
    assert status["running"] is None and status["bench"]["after_run"] == 3
    catalog.close()
