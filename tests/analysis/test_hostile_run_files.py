"""Hostile files given to ``labspin fit``: each refused with a message naming the file,
quickly, without a traceback, without blocking on a pipe or reading a device forever."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

import labspin.analysis.run_reader as reader
from labspin.analysis.loaders import RunFileError, find_run_files, load_run

HEADER = "#Procedure: <labspin.procedures.loops.HallLoop>\n#Parameters:\n"


def _refusal(path: Path, seconds: float = 10.0) -> str:
    """The RunFileError message of load_run(path), failing the test if it takes longer
    than ``seconds`` (a thread, so a hang fails the test instead of stopping the suite)."""
    outcome: dict[str, BaseException | object] = {}

    def load() -> None:
        try:
            outcome["value"] = load_run(path)
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"load_run({path}) still running after {seconds} s"
    error = outcome.get("error")
    assert isinstance(error, RunFileError), f"expected a refusal, got {outcome!r}"
    assert str(path) in str(error)
    return str(error)


@pytest.fixture
def hostile(tmp_path) -> dict[str, Path]:
    files = {
        "garbage": tmp_path / "garbage.csv",
        "latin1": tmp_path / "latin1.csv",
        "nul": tmp_path / "nul.csv",
        "long line": tmp_path / "long-line.csv",
        "no header": tmp_path / "plain.csv",
        "huge": tmp_path / "huge.csv",
        "folder": tmp_path / "x.csv",
        "fifo": tmp_path / "pipe.csv",
    }
    files["garbage"].write_bytes(bytes(range(256)) * 64)
    files["latin1"].write_bytes((HEADER + "#\tSample: caf\xe9\n#Data:\na,b\n1,2\n")
                                .encode("latin-1"))
    files["nul"].write_bytes(b"\x00" * 4096)
    files["long line"].write_text(HEADER + "#Data:\na,b\n" + "1" * 300_000 + ",2\n")
    files["no header"].write_text("Field (T),R_xy (ohm)\n0.1,2\n")
    with open(files["huge"], "wb") as handle:  # sparse: no disk space taken
        handle.truncate(reader.MAX_RUN_FILE_BYTES + 1)
    files["folder"].mkdir()
    os.mkfifo(files["fifo"])
    return files


@pytest.mark.parametrize(("kind", "words"), [
    ("garbage", "not a text file"), ("latin1", "not a text file"),
    ("nul", "first line"), ("long line", "unreadable data"),
    ("no header", "not a labspin/pymeasure run file"), ("huge", "larger than any run file"),
    ("folder", "is a folder"), ("fifo", "named pipe"),
])
def test_each_hostile_file_is_refused_by_name(hostile, kind, words):
    assert words in _refusal(hostile[kind])


def test_a_device_is_refused_before_it_is_read():
    assert "is a device" in _refusal(Path("/dev/zero"))


def test_the_size_limit_is_checked_before_reading_and_while_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "#Data:\na,b\n" + "1,2\n" * 1000)
    monkeypatch.setattr(reader, "MAX_RUN_FILE_BYTES", 1000)
    assert "larger than any run file" in _refusal(path)
    # a file that passed the size check and then grows is stopped while it is read
    with pytest.raises(RunFileError, match="grew past"):
        reader._count_rows(io.StringIO("1,2\n" * 1000), 2, 3, RunFileError, [])


def test_folders_list_pipes_and_empty_csv_folders_for_refusal(hostile, tmp_path):
    found = {p.name for p in find_run_files(tmp_path)}
    # every *.csv entry that is not a folder is returned, so each is refused by name
    assert {"pipe.csv", "garbage.csv", "huge.csv"} <= found
    assert find_run_files(hostile["folder"]) == [hostile["folder"]]


def test_fit_refuses_every_hostile_file_and_fits_the_good_one(hostile, tmp_path,
                                                              every_kind, monkeypatch):
    """One ``labspin fit`` over the whole folder in its own process (forked from the
    suite's preloaded forkserver, tests/runs/processes.py; a hang would time out here,
    not stop the suite): every bad file named, no traceback, exit 1, the good run
    fitted."""
    from tests.runs import processes

    good = tmp_path / "good.csv"
    good.write_text(every_kind["hall"].read_text())
    monkeypatch.setenv("COLUMNS", "250")
    process = processes.start(["fit", str(tmp_path), "/dev/zero", "--workers", "1"],
                              tmp_path.parent / f"{tmp_path.name}-fit.txt")
    code = process.wait(120)
    output = process.output()
    assert code == 1, output
    assert "Traceback" not in output
    for path in [*hostile.values(), Path("/dev/zero")]:
        assert f"{path}: " in output, path
    assert "good.csv" in output and "R_AHE = " in output
