"""Where a run's file is, seen from the data folder its catalog is opened from.

A data folder is self-contained: ``cp -r night copy`` or ``mv night /archive/night``
gives a folder whose catalog lists the copy's (or the moved) files, never the files of
the folder it came from. The catalog stores each run's file relative to the data folder
(``2026-12-03/00001_SwitchingLoop_chipA-CoO2.csv``). Catalogs of older labspin versions
hold absolute paths (or paths relative to where labspin ran): a path that is not under
the folder is looked for under it by its tail (``<day>/<file>``), the part that a copy
or a move keeps.

A file that only exists at its recorded place outside the folder is not read from there
(the folder would silently show another folder's data): it is reported as
``elsewhere``, and the run's file counts as missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunFile:
    """A run's file as seen from a data folder.

    ``path``: where the run's file is in the folder (absolute; it may be missing), or
    None when the catalog holds no file for the run. ``elsewhere``: the catalog's path,
    when it lies outside the folder, no copy is in the folder and that outside file
    exists (a catalog copied without its files, or a folder copied from one whose
    files have since been changed)."""

    path: Path | None
    elsewhere: Path | None = None

    @property
    def missing(self) -> bool:
        return self.path is not None and not self.path.is_file()


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def stored_path(data_dir: str | Path, file: str | Path) -> str:
    """What the catalog stores for the run file ``file`` of ``data_dir``: its path
    relative to the folder (POSIX separators), or the absolute path of a file outside."""
    folder, path = _absolute(Path(data_dir)), _absolute(Path(file))
    if _inside(path, folder):
        return path.relative_to(folder).as_posix()
    return str(path)


def locate(data_dir: str | Path, stored: str | None) -> RunFile:
    """The run file the catalog of ``data_dir`` records as ``stored`` (module doc)."""
    if not stored:
        return RunFile(None)
    folder = _absolute(Path(data_dir))
    recorded = Path(stored)
    if recorded.is_absolute():
        recorded = _absolute(recorded)
        if _inside(recorded, folder) or _inside(recorded, folder.resolve()):
            return RunFile(recorded)
        expected = folder.joinpath(*recorded.parts[1:][-2:])  # <day>/<file>
    else:
        expected = folder / recorded
        if expected.is_file():
            return RunFile(expected)
    parts = [p for p in recorded.parts if p != recorded.anchor]
    for k in range(len(parts) - 1, 0, -1):  # the longest tail found in the folder
        candidate = folder.joinpath(*parts[-k:])
        if candidate.is_file():
            return RunFile(candidate)
    # only outside the folder (an older catalog's path relative to where labspin ran is
    # relative to the working directory): named, never read
    outside = _absolute(recorded)
    return RunFile(expected, outside if outside.is_file() and not _inside(outside, folder)
                   else None)


def missing_reason(path: Path | str, elsewhere: Path | str | None) -> str:
    """Why a run's file ``path`` (in its data folder) cannot be read, and what to do;
    ``elsewhere``: the catalog's own path outside the folder, if that file exists."""
    if elsewhere is not None:
        return (f"its file is not in this data folder (looked for {path}); the catalog "
                f"points at {elsewhere}, outside the folder, which is not read from here "
                "(a catalog copied without its files?). Copy that file to the place looked "
                "at, or give the folder it is in as --data-dir")
    return (f"its file {path} is missing (moved, renamed or deleted); put it back there "
            "to use this run")


def describe_missing(run_id: int, path: Path, elsewhere: Path | None) -> str:
    """:func:`missing_reason` of run ``run_id``."""
    return f"run {run_id}: {missing_reason(path, elsewhere)}"


#: where a damaged catalog is set aside (``catalog.sqlite.damaged``, then ``-2`` ...)
DAMAGED_SUFFIX = ".damaged"


def run_files(data_dir: str | Path) -> list[Path]:
    """The run files (``*.csv``) of a data folder: in its day folders, as labspin
    writes them (the units sidecar ``*.units.csv`` of a summary is not a run)."""
    folder = Path(data_dir)
    return sorted(p for p in folder.glob("*/*.csv")
                  if not p.name.endswith(".units.csv") and p.is_file())


def catalog_unreadable(data_dir: str | Path, exc: BaseException) -> str:
    """What to say when ``data_dir``'s catalog cannot be read: a damaged file (the run
    files are separate, intact, and can be fitted and listed again), or a file the
    user cannot open (permissions, a full disk)."""
    import sqlite3

    path = Path(data_dir) / "catalog.sqlite"
    text = str(exc) or type(exc).__name__
    damaged = (isinstance(exc, sqlite3.DatabaseError) and not isinstance(
        exc, sqlite3.OperationalError)) or "malformed" in text or "not a database" in text
    if not damaged:
        return (f"cannot open the runs catalog {path}: {text}. Check the folder's "
                "permissions and free space, or choose another --data-dir")
    count = len(run_files(data_dir))
    files = (f"The {count} run file(s) (CSV) in {data_dir} are separate files and intact"
             if count else f"No run file (CSV) is in {data_dir}")
    return (f"the runs catalog {path} is damaged ({text}). {files}: "
            f"`labspin fit {data_dir}` and `labspin report {data_dir}` read them without "
            f"it. `labspin runs --rebuild --data-dir {data_dir}` keeps the damaged catalog "
            f"as {path.name}{DAMAGED_SUFFIX} and makes a new one from the run files (by "
            f"hand: rename {path.name} and any {path.name}-wal, -shm beside it; the next "
            "run starts a new, empty catalog)")
