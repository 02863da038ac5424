"""Reading one run file, safely: only regular files of bounded size, streamed.

A file named as a run is opened only if it is a regular file (a named pipe would block,
``/dev/zero`` would never end) of at most :data:`MAX_RUN_FILE_BYTES`. The header is
read line by line (bounded in lines and line length), the data rows are checked in one
streaming pass (every row has as many values as there are columns; a last row cut off
by a crash is left out with a note) and parsed by pandas from the same open file, so the
memory used is about the size of the table, not several copies of the text.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

#: the largest file read as a run (bytes). A night of switching-probability trials
#: writes tens of MB; anything beyond this is not a labspin run file
MAX_RUN_FILE_BYTES = 256 * 2**20
#: header lines and characters per line beyond any labspin header
MAX_HEADER_LINES = 10_000
MAX_LINE_CHARS = 1 << 20
PROCEDURE_RE = re.compile(r"^#Procedure:\s*<([A-Za-z_][\w.]*)>\s*$")


def _number(text: str) -> float | int | None:
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return None


def parse_value(text: str) -> tuple[Any, str]:
    """A header value as (value, unit): "0.02 T" -> (0.02, "T"), "1 NPLC" -> (1.0, "NPLC"),
    "True" -> (True, ""), "0.3, 0.4, 0.5" -> ("0.3, 0.4, 0.5", "")."""
    text = text.strip()
    if text in ("True", "False"):
        return text == "True", ""
    whole = _number(text)
    if whole is not None:
        return whole, ""
    head, _, unit = text.partition(" ")
    value = _number(head)
    if value is not None and unit and "," not in unit and _number(unit.split()[0]) is None:
        return value, unit.strip()
    return text, ""


@dataclass
class ParsedRun:
    procedure_path: str
    parameters: dict[str, Any]
    metadata: dict[str, Any]
    units: dict[str, str]
    data: pd.DataFrame
    first_data_line: int
    notes: list[str] = field(default_factory=list)


Fail = Callable[[str], Exception]


def open_run_file(path: Path, fail: Fail) -> io.TextIOWrapper:
    """The file as UTF-8 text, after refusing what is not a regular file of a run's
    size (module doc)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise fail("is a folder, not a run file")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise fail(f"is {kind}, not a run file")
    if info.st_size > MAX_RUN_FILE_BYTES:
        raise fail(f"{info.st_size / 2**20:.0f} MiB is larger than any run file "
                   f"({MAX_RUN_FILE_BYTES / 2**20:.0f} MiB at most): not a labspin run file")
    try:
        # O_NONBLOCK: should the file have become a pipe since the check, nothing waits
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        return io.TextIOWrapper(io.FileIO(fd, "r"), encoding="utf-8", newline="")
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror or exc})") from None


def _header(handle: io.TextIOWrapper, fail: Fail):
    """(procedure path, parameters, metadata, units, line number of '#Data:')."""
    first = handle.readline(MAX_LINE_CHARS)
    if not first:
        raise fail("the file is empty")
    match = PROCEDURE_RE.match(first.strip())
    if not match:
        raise fail("no '#Procedure: <...>' first line: not a labspin/pymeasure run file")
    parameters: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    units: dict[str, str] = {}
    target: dict[str, Any] | None = None
    for number in range(2, MAX_HEADER_LINES + 2):
        line = handle.readline(MAX_LINE_CHARS)
        if not line:
            raise fail("truncated: the header has no '#Data:' line")
        if len(line) >= MAX_LINE_CHARS:
            raise fail(f"line {number}: longer than any header line")
        line = line.rstrip("\r\n")
        if not line.startswith("#"):
            raise fail(f"line {number}: the header ends before its '#Data:' line")
        body = line[1:].strip()
        if body == "Data:":
            return match.group(1), parameters, metadata, units, number
        if body in ("Parameters:", "Metadata:"):
            target = parameters if body == "Parameters:" else metadata
            continue
        if not body:
            continue
        label, sep, value = body.partition(":")
        if target is None or not sep or not label:
            raise fail(f"line {number}: unexpected header line {line[:200]!r}")
        target[label.strip()], units[label.strip()] = parse_value(value)
    raise fail(f"more than {MAX_HEADER_LINES} header lines: not a labspin run file")


def _count_rows(handle: io.TextIOWrapper, ncolumns: int, data_line: int, fail: Fail,
                notes: list[str]) -> int:
    """Complete data rows after the column header, checked in one streaming pass."""
    reader = csv.reader(handle)
    good, bad, blank_from, size = 0, None, None, 0
    for fields in reader:
        line = data_line + 1 + reader.line_num
        size += sum(map(len, fields)) + len(fields)
        if size > MAX_RUN_FILE_BYTES:  # a file still growing as it is read
            raise fail(f"grew past {MAX_RUN_FILE_BYTES / 2**20:.0f} MiB while being read: "
                       "not a labspin run file")
        if not fields or not any(f.strip() for f in fields):
            blank_from = blank_from or line  # blank lines: fine only at the end
            continue
        if bad is not None or blank_from is not None:
            bad_line, bad_count = bad if bad is not None else (blank_from, 0)
            raise fail(f"line {bad_line}: corrupt row: {bad_count} values for "
                       f"{ncolumns} columns")
        if len(fields) != ncolumns:
            bad = (line, len(fields))  # the last row cut by a crash, if nothing follows
            continue
        good += 1
    if bad is not None:
        notes.append(f"line {bad[0]}: the last row was cut off while it was being written "
                     f"({bad[1]} of {ncolumns} values); left out")
    return good


def read_run_file(path: Path, fail: Fail) -> ParsedRun:
    """Header and data of a run file (module doc); ``fail(problem)`` makes the error."""
    notes: list[str] = []
    try:
        with open_run_file(path, fail) as handle:
            procedure, parameters, metadata, units, data_line = _header(handle, fail)
            start = handle.tell()
            header_line = handle.readline(MAX_LINE_CHARS)
            if not header_line.strip():
                raise fail("truncated: no column header after '#Data:'")
            try:
                columns = next(csv.reader([header_line]))
            except (csv.Error, StopIteration) as exc:
                raise fail(f"line {data_line + 1}: unreadable column header ({exc})") \
                    from None
            if len(set(columns)) != len(columns) or not all(c.strip() for c in columns):
                raise fail(f"line {data_line + 1}: malformed column header "
                           f"{header_line[:200]!r}")
            rows = _count_rows(handle, len(columns), data_line, fail, notes)
            handle.seek(start)
            try:
                data = pd.read_csv(handle, nrows=rows)
            except (ValueError, pd.errors.ParserError, csv.Error) as exc:
                raise fail(f"unreadable data: {exc}") from None
    except UnicodeDecodeError:
        raise fail("not a text file (invalid UTF-8): not a labspin run file") from None
    except csv.Error as exc:
        raise fail(f"unreadable data: {exc}") from None
    if [str(c) for c in data.columns] != columns:
        raise fail(f"line {data_line + 1}: unreadable column header")
    return ParsedRun(procedure, parameters, metadata, units, data, data_line + 2, notes)
