"""A kill -9 rehearsed as the README says: on a bench that outlives the process.

``--sim`` builds a fresh bench in every process, so a killed run's sine and magnets die
with it and ``station check --sim`` afterwards finds nothing. ``labspin sim serve
--station FILE --write-station SOCKETS`` serves the bench and writes a station file that
reaches it over sockets; a HarmonicHall killed on SOCKETS leaves the 6221's sine running
(``SOUR:WAVE:ARM? 1`` while ``OUTP?`` reads 0), and ``labspin station check SOCKETS`` says
so and stops it. The commands run in real processes (tests/runs/processes.py); the bench's
state is read from its own instruments, over their sockets.
"""

import os
import signal
import time

import pyvisa
import yaml
from click.testing import CliRunner

from labspin.cli import main
from tests.runs import processes
from tests.runs.test_kill_and_resume import catalog_rows, data_lines

from .conftest import EXAMPLE_STATION

HARMONIC = ["--set", "mode=angle scan", "--set", "field_magnitudes=0.05", "--set",
            "angle_step=45 deg", "--set", "current=5 mA", "--set", "time_constant=30 ms"]


def ask(resources: dict[str, dict], role: str, query: str) -> str:
    """A raw query to one served instrument, as any VISA client sends it."""
    entry = resources[role]
    manager = pyvisa.ResourceManager("@py")
    try:
        instrument = manager.open_resource(
            entry["resource"], timeout=5000,
            read_termination=(entry.get("options") or {}).get("read_termination", "\n"))
        return instrument.query(query).strip()
    finally:
        manager.close()


def test_a_kill_rehearsed_on_a_served_bench_leaves_the_sine_on_and_station_check_says_so(
        tmp_path):
    sockets = tmp_path / "sockets.yaml"
    server = processes.start(["sim", "serve", "--station", str(EXAMPLE_STATION),
                              "--port-base", "0", "--write-station", str(sockets)],
                             tmp_path / "serve.txt")
    try:
        deadline = time.monotonic() + 60
        while not sockets.exists() and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # the file is checked after it is written
        assert sockets.exists(), server.output()[-2000:]
        config = yaml.safe_load(sockets.read_text(encoding="utf-8"))
        assert config["backend"] == "visa"
        resources = {**config["instruments"],
                     **{f"magnet_{axis}": magnet["supply"]
                        for axis, magnet in config["magnets"].items()}}
        assert all("::SOCKET" in entry["resource"] for entry in resources.values())

        data = tmp_path / "data"
        run = processes.start(["run", "HarmonicHall", "--station", str(sockets),
                               "--data-dir", str(data), *HARMONIC], tmp_path / "run.txt")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:
            rows = [r for r in catalog_rows(data) if r["status"] == "running"]
            if rows and data_lines(rows[0]["file"]) >= 1:
                break
            time.sleep(0.02)
        assert run.poll() is None, run.output()[-2000:]
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait() == -signal.SIGKILL
        # the bench outlived the run: its sine still drives the bar, OUTP? reads 0
        assert ask(resources, "source", ":SOUR:WAVE:ARM?") == "1"
        assert ask(resources, "source", "OUTP?") == "0"

        check = CliRunner().invoke(main, ["station", "check", str(sockets)],
                                   env={"COLUMNS": "200"})
        assert check.exit_code == 0, check.output
        assert "Found: source (the current source) was driving a 5 mA sine at " in check.output
        assert "(armed or running), left on by a previous process: aborted; it now reads " \
               "off" in check.output
        assert "what was left on is now off" in check.output
        assert ask(resources, "source", ":SOUR:WAVE:ARM?") == "0"  # the bench's own word
        for axis in ("x", "y", "z"):
            assert ask(resources, f"magnet_{axis}", "OUTP?") == "0"
            assert abs(float(ask(resources, f"magnet_{axis}", "MEAS:CURR?"))) < 1e-6
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert "Stopped." in server.output()
