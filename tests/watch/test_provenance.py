"""Every run file says which code, dependencies, host and station file produced it."""

from __future__ import annotations

import hashlib
import socket
import subprocess
from pathlib import Path

import numpy
import pymeasure

from labspin import __version__
from labspin.analysis.loaders import load_run
from labspin.runs import open_catalog, run_procedure
from labspin.station import Station
from tests.runs.procedures_for_tests import ReadResistance

from .conftest import station_file

CHECKOUT = Path(__file__).resolve().parents[2]


def test_a_run_header_records_version_commit_dependencies_host_and_station_hash(tmp_path):
    path = station_file(tmp_path)
    with Station.open(path) as station, open_catalog(tmp_path / "data") as catalog:
        record = run_procedure(ReadResistance(points=2), station, catalog)
        path.write_text(path.read_text() + "\n# edited during the night\n")
        second = run_procedure(ReadResistance(points=2), station, catalog)
    meta = load_run(record.file).metadata
    assert meta["labspin version"] == __version__
    head = subprocess.run(["git", "-C", str(CHECKOUT), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert meta["labspin commit"].split("+")[0] == head
    assert f"numpy {numpy.__version__}" in meta["Dependencies"]
    assert f"pymeasure {pymeasure.__version__}" in meta["Dependencies"]
    assert meta["Host"] == socket.gethostname()
    loaded = hashlib.sha256(path.read_bytes()).hexdigest()  # the edited file
    recorded = meta["Station file sha256"]
    assert len(recorded) == 64 and recorded != loaded
    # the hash is that of the file as the station loaded it, for every run of that station
    assert load_run(second.file).metadata["Station file sha256"] == recorded


def test_the_hash_is_that_of_the_file_bytes(tmp_path):
    path = station_file(tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with Station.open(path) as station, open_catalog(tmp_path / "data") as catalog:
        record = run_procedure(ReadResistance(points=1), station, catalog)
    assert load_run(record.file).metadata["Station file sha256"] == digest


def test_the_built_in_station_records_a_hash_of_its_settings(tmp_path):
    with Station.open(sim=True) as station, open_catalog(tmp_path) as catalog:
        record = run_procedure(ReadResistance(points=1), station, catalog)
    assert load_run(record.file).metadata["Station file sha256"].startswith("settings:")


def test_the_commit_is_found_without_the_git_program_too():
    from labspin.provenance import _head_from_files, git_commit

    assert _head_from_files(CHECKOUT / ".git") == git_commit().split("+")[0]
