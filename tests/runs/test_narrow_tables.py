"""The command line's tables read at 80 columns (a pipe, a log file, a small terminal):
no line wider than the terminal, key words and numbers never broken across lines, paths
relative to the data folder, no column without a header or content."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from labspin.cli import main
from labspin.runs import Catalog

NARROW = {"COLUMNS": "80"}


def _lines(output: str) -> list[str]:
    return output.splitlines()


def _no_line_wider_than(output: str, width: int) -> None:
    wide = [line for line in _lines(output) if len(line.rstrip()) > width]
    assert not wide, "\n".join(wide)


def _row(output: str, first: str) -> str:
    return next(line for line in _lines(output) if line.strip().startswith(first))


@pytest.fixture
def catalog_dir(tmp_path) -> Path:
    data = tmp_path / "labspin-data"
    catalog = Catalog(data)
    for procedure, sample, status in (("SwitchingProbability", "PyNiO-D12", "interrupted"),
                                      ("HarmonicHall", "PyNiO-D1", "finished")):
        run_id = catalog.create_run(procedure, {}, sample)
        file = data / "2026-12-03" / f"{run_id:05d}_{procedure}_{sample}.csv"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("")  # a missing file would be said under the table
        catalog.start_run(run_id, file, {})
        catalog.finish_run(run_id, status, None, 1234)
    catalog.close()
    return data


def test_labspin_runs_reads_at_80_columns(catalog_dir):
    result = CliRunner().invoke(main, ["runs", "--data-dir", str(catalog_dir)], env=NARROW)
    assert result.exit_code == 0, result.output
    _no_line_wider_than(result.output, 80)
    header = _row(result.output, "id")
    for column in ("procedure", "sample", "status", "rows", "started"):
        assert f" {column}" in header  # whole words, not "procedur|e"
    assert "queue#run" not in header  # no run of a queue: no empty column
    row = _row(result.output, "1 ")
    for cell in ("SwitchingProbability", "PyNiO-D12", "interrupted", "1234"):
        assert cell in row
    lines = _lines(result.output)
    below_title = lines[lines.index(_row(result.output, "id")):]
    assert str(catalog_dir) not in "".join(below_title)  # paths relative to the title's
    # too narrow for a file column beside these: each file whole on a line under the table
    assert "  run 1: 2026-12-03/00001_SwitchingProbability_PyNiO-D12.csv" in result.output
    assert "  run 2: 2026-12-03/00002_HarmonicHall_PyNiO-D1.csv" in result.output


def test_short_names_leave_room_for_a_file_column(tmp_path):
    data = tmp_path / "d"
    catalog = Catalog(data)
    run_id = catalog.create_run("STFMR", {}, "A1")
    (data / "2026-12-03").mkdir()
    (data / "2026-12-03" / "00001_STFMR_A1.csv").write_text("")
    catalog.start_run(run_id, data / "2026-12-03" / "00001_STFMR_A1.csv", {})
    catalog.finish_run(run_id, "finished", None, 12)
    catalog.close()
    result = CliRunner().invoke(main, ["runs", "--data-dir", str(data)], env=NARROW)
    _no_line_wider_than(result.output, 80)
    assert _row(result.output, "id").split()[-1] == "file"
    lines = _lines(result.output)
    header = lines.index(_row(result.output, "id"))
    at = lines[header].index(" file") + 1
    assert "".join(line[at:].strip() for line in lines[header + 2:]) == \
        "2026-12-03/00001_STFMR_A1.csv"  # folded, if at all, without losing a letter


def test_a_run_of_a_queue_shows_its_queue_column(catalog_dir):
    catalog = Catalog(catalog_dir)
    queue = catalog.create_queue("night", "night.yaml", "hash", 3)
    catalog.create_run("HallLoop", {}, "PyNiO-D1", queue_id=queue, queue_index=2)
    catalog.close()
    result = CliRunner().invoke(main, ["runs", "--data-dir", str(catalog_dir)], env=NARROW)
    _no_line_wider_than(result.output, 80)
    assert "queue#run" in _row(result.output, "id")
    assert f"{queue}#3" in _row(result.output, "3 ")


def test_sim_serve_table_reads_at_80_columns(monkeypatch):
    """Every column has a header and content (the model once got no room at all)."""
    import threading

    class Stopped(threading.Event):
        def wait(self, timeout=None):  # the serving loop's wait: stop at once
            return True if timeout == 0.2 else super().wait(timeout)

    monkeypatch.setattr(threading, "Event", Stopped)
    result = CliRunner().invoke(main, ["sim", "serve", "--port-base", "0"], env=NARROW)
    assert result.exit_code == 0, result.output
    _no_line_wider_than(result.output, 80)
    lines = _lines(result.output)
    header = next(line for line in lines if line.startswith("instrument"))
    assert header.split() == ["instrument", "port", "VISA", "address", "read", "term.",
                              "model"]
    source = next(line for line in lines if line.startswith("source "))
    assert source.split()[-2:] == ["MODEL", "6221"]
    assert "TCPIP::127.0.0.1::" in source and source.split()[3] == "\\n"
