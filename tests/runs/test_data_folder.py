"""A data folder is self-contained: a copied or moved folder lists and exports its own
run files, never those of the folder it came from (tester D, finding 10); a file only
outside the folder is named, not read."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import h5py
import pytest
from click.testing import CliRunner

from labspin.cli import main
from labspin.procedures.loops import HallLoop
from labspin.runs import Catalog, CatalogError, open_catalog, run_procedure
from labspin.station import Station
from labspin.watch.status import StatusSource

WIDE = {"COLUMNS": "200"}


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    """Two short Hall loops in a data folder (the original: copy it before changing)."""
    data = tmp_path_factory.mktemp("night") / "d1"
    with Station.open(sim=True, seed=4) as station, open_catalog(data) as catalog:
        for field_max in (0.04, 0.05):
            record = run_procedure(HallLoop(field_step=0.01, field_max=field_max), station,
                                   catalog)
            assert record.status == "finished", record.error
    return data


def _copy(night: Path, to: Path) -> Path:
    shutil.copytree(night, to)
    return to


def _stored(data: Path) -> list[str]:
    db = sqlite3.connect(data / "catalog.sqlite")
    try:
        return [row[0] for row in db.execute("SELECT file FROM runs ORDER BY id")]
    finally:
        db.close()


def _as_older_labspin(data: Path) -> None:
    """The catalog as labspin wrote it before 2026-12-04: absolute paths."""
    db = sqlite3.connect(data / "catalog.sqlite")
    try:
        for run_id, file in db.execute("SELECT id, file FROM runs").fetchall():
            db.execute("UPDATE runs SET file=? WHERE id=?", (str((data / file).resolve()),
                                                              run_id))
        db.commit()
    finally:
        db.close()


def _export(data: Path, out: Path) -> tuple[object, dict[str, tuple[str, str]]]:
    result = CliRunner().invoke(main, ["export", "--data-dir", str(data), "--out", str(out)])
    entries = {}
    if out.exists():
        with h5py.File(out, "r") as f:
            entries = {name: (f[name].attrs["source_file"], f[name].attrs["source_sha256"])
                       for name in f}
    return result, entries


def _change_a_value(file: Path) -> None:
    """The copy's file differs from the original's (a hand-edited or damaged value)."""
    lines = file.read_text().splitlines()
    row = lines.index("#Data:") + 2
    cells = lines[row].split(",")
    cells[-1] = repr(float(cells[-1]) + 1.0)
    lines[row] = ",".join(cells)
    file.write_text("\n".join(lines) + "\n")


def test_new_runs_store_their_file_relative_to_the_data_folder(night):
    stored = _stored(night)
    assert len(stored) == 2
    for text in stored:
        assert not Path(text).is_absolute() and (night / text).is_file()


@pytest.mark.parametrize("older", [False, True], ids=["relative", "absolute-paths"])
def test_a_copied_folder_lists_and_exports_its_own_files(night, tmp_path, older):
    """cp -r d1 dc; one of dc's files changed: runs, export, watch and a run's record
    all show dc's files, and the export's checksums are those of dc's files."""
    original = _copy(night, tmp_path / "d1")
    if older:
        _as_older_labspin(original)
    copy = _copy(original, tmp_path / "dc")
    changed = sorted(copy.glob("*/*.csv"))[0]
    _change_a_value(changed)
    assert _sha(changed) != _sha(original / changed.relative_to(copy))

    catalog = Catalog(copy)
    try:
        records = catalog.query()
    finally:
        catalog.close()
    assert [Path(r.file).parent.parent for r in records] == [copy, copy]
    assert all(r.file_problem() is None and r.file_elsewhere is None for r in records)

    listed = CliRunner().invoke(main, ["runs", "--data-dir", str(copy)], env=WIDE)
    assert listed.exit_code == 0, listed.output
    assert str(original) not in listed.output and "not in this data folder" not in listed.output

    result, entries = _export(copy, tmp_path / "dc.h5")
    assert result.exit_code == 0, result.output
    assert "2 runs" in result.output
    files = sorted(copy.glob("*/*.csv"))
    assert sorted(source for source, _ in entries.values()) == [str(f) for f in files]
    for source, sha in entries.values():
        assert sha == _sha(source)  # the copy's bytes, the changed file's too

    watched = StatusSource(copy)._query("SELECT id, file, procedure FROM runs ORDER BY id")
    assert [row["file"] for row in watched] == [str(f) for f in files]


def test_a_moved_folder_exports_every_run(night, tmp_path):
    """mv d1 elsewhere (the tester: "0 runs" and "its file is missing")."""
    original = _copy(night, tmp_path / "d1")
    _as_older_labspin(original)
    moved = tmp_path / "archive" / "night-of-dec-3"
    moved.parent.mkdir()
    shutil.move(original, moved)
    result, entries = _export(moved, tmp_path / "mv.h5")
    assert result.exit_code == 0, result.output
    assert "2 runs" in result.output and "skipped" not in result.output
    for source, sha in entries.values():
        assert Path(source).parent.parent == moved and sha == _sha(source)
    fit = CliRunner().invoke(main, ["fit", str(moved), "--query", "procedure=HallLoop"],
                             env=WIDE)
    assert fit.exit_code == 0, fit.output
    assert "missing" not in fit.output


def test_a_catalog_copied_without_its_files_names_them_and_reads_none(night, tmp_path):
    """Only the catalog copied (its paths point into d1, which still exists): d1's files
    are not read as if they were this folder's; each message says where they are."""
    original = _copy(night, tmp_path / "d1")
    _as_older_labspin(original)
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(original / "catalog.sqlite", alone / "catalog.sqlite")

    catalog = Catalog(alone)
    try:
        records = catalog.query()
    finally:
        catalog.close()
    for record in records:
        assert Path(record.file).parent.parent == alone and not Path(record.file).exists()
        assert Path(record.file_elsewhere).parent.parent == original.resolve()
        with pytest.raises(CatalogError, match="not in this data folder"):
            record.load()

    listed = CliRunner().invoke(main, ["runs", "--data-dir", str(alone)], env=WIDE)
    assert listed.exit_code == 0, listed.output
    for record in records:
        assert f"run {record.id}: its file is not in this data folder" in listed.output
    assert "Traceback" not in listed.output

    result, entries = _export(alone, tmp_path / "alone.h5")
    assert result.exit_code == 1 and not entries
    assert "0 runs" in result.output and result.output.count("catalog points at") == 2
    assert str(original.resolve()) in result.output  # where the files are, said

    fit = CliRunner().invoke(main, ["fit", str(alone), "--query", "procedure=HallLoop"],
                             env=WIDE)
    assert fit.exit_code != 0 and "not in this data folder" in fit.output
    assert "Traceback" not in fit.output


def test_a_file_moved_out_of_its_folder_is_said_missing(night, tmp_path):
    data = _copy(night, tmp_path / "d1")
    gone = sorted(data.glob("*/*.csv"))[1]
    gone.rename(tmp_path / gone.name)
    listed = CliRunner().invoke(main, ["runs", "--data-dir", str(data)], env=WIDE)
    assert listed.exit_code == 0
    assert f"run 2: its file {gone.relative_to(data)} is missing" in listed.output
    result, entries = _export(data, tmp_path / "one.h5")
    assert result.exit_code == 0 and len(entries) == 1
    assert "run 2: its file" in result.output and "is missing" in result.output


# -- a damaged catalog (tester D, finding 12) ------------------------------------------------


def _garbage(data: Path) -> bytes:
    content = b"garbage, not an SQLite database at all"
    (data / "catalog.sqlite").write_bytes(content)
    return content


def _malformed(data: Path) -> None:
    """A real catalog with its pages overwritten: it opens, its tables do not read."""
    path = data / "catalog.sqlite"
    for name in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (data / name).unlink(missing_ok=True)
    content = bytearray(path.read_bytes())
    for i in range(4096, len(content), 61):
        content[i] = 0xAB
    path.write_bytes(bytes(content))


@pytest.mark.parametrize("damage", [_garbage, _malformed])
def test_a_damaged_catalog_says_the_run_files_are_intact_and_how_to_go_on(night, tmp_path,
                                                                          damage):
    data = _copy(night, tmp_path / "d1")
    damage(data)
    for command in (["runs", "--data-dir", str(data)],
                    ["export", "--data-dir", str(data), "--out", str(tmp_path / "x.h5")],
                    ["fit", str(data), "--query", "procedure=HallLoop"]):
        result = CliRunner().invoke(main, command, env=WIDE)
        assert result.exit_code == 1, (command, result.output)
        said = " ".join(result.output.split())
        assert "Traceback" not in said and "is damaged" in said, said
        assert f"The 2 run file(s) (CSV) in {data} are separate files and intact" in said
        assert f"`labspin fit {data}`" in said and "--rebuild" in said
    # and the run files are read without the catalog, as said
    fitted = CliRunner().invoke(main, ["fit", str(data)], env=WIDE)
    assert fitted.exit_code == 0, fitted.output
    assert "Fits of 2 run(s)" in fitted.output


def _records(data: Path) -> list[tuple]:
    catalog = Catalog(data)
    try:
        return [(r.id, r.procedure, r.sample, r.rows, r.status, r.parameters, r.file)
                for r in catalog.query()]
    finally:
        catalog.close()


def test_rebuild_keeps_the_damaged_catalog_and_lists_the_runs_again(night, tmp_path):
    data = _copy(night, tmp_path / "d1")
    before = _records(data)
    damaged = _garbage(data)
    result = CliRunner().invoke(main, ["runs", "--rebuild", "--data-dir", str(data)],
                                env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Set the damaged catalog aside as" in result.output
    assert (data / "catalog.sqlite.damaged").read_bytes() == damaged  # never lost
    assert _records(data) == before  # ids, procedures, samples, rows, parameters, files
    # a second rebuild of a readable catalog changes nothing
    again = CliRunner().invoke(main, ["runs", "--rebuild", "--data-dir", str(data)])
    assert again.exit_code == 1 and "nothing to rebuild" in again.output
    assert (data / "catalog.sqlite.damaged").read_bytes() == damaged
    assert not (data / "catalog.sqlite.damaged-2").exists()


def test_rebuild_marks_a_run_cut_short_interrupted(night, tmp_path):
    from labspin.catalog_rebuild import rebuild_catalog

    data = _copy(night, tmp_path / "d1")
    cut = sorted(data.glob("*/*.csv"))[1]
    lines = cut.read_text().splitlines()
    cut.write_text("\n".join(lines[:lines.index("#Data:") + 4]) + "\n")  # two rows
    _malformed(data)
    result = rebuild_catalog(data)
    assert result.set_aside == data / "catalog.sqlite.damaged" and result.runs == [1, 2]
    status = {r[0]: (r[4], r[3]) for r in _records(data)}
    assert status[1][0] == "finished" and status[2] == ("interrupted", 2)
    catalog = Catalog(data)
    try:
        assert "2 of " in catalog.get(2).error and catalog.get(1).error is None
    finally:
        catalog.close()
