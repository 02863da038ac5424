"""Every procedure x every instrument role it uses x every fault kind, landing mid-run.

Each case is what a user does: ``labspin run PROCEDURE --station FILE`` where the
station file's ``sim.faults`` makes one instrument time out, drop its connection or
answer garbage from a given message on. The message is chosen from a clean run of the
same seeded station: the one after the middle row of the run for an instrument still
talked to after it (its shutdown included: a bias magnet fails while it holds the
field), else the middle of its messages. Each case asserts what the user sees: the exit
code, no traceback, the run failed in the catalog, the error naming the instrument that
failed (and for garbage the command and the reply), every row on disk; and, read from
the bench itself, that every coil is at zero with its supply off, the 6221 off with no
sine and the 81160A off, or else that the last lines printed name the instrument and
what may still be on, with the numbers the bench shows.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.runs import Catalog, run_procedure
from labspin.station import Station

cli_measure = importlib.import_module("labspin.cli_measure")  # after labspin.cli (a cycle)
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KINDS = ("timeout_after", "drop_after", "garbage_after")


@dataclass(frozen=True)
class Config:
    procedure: str
    settings: tuple[str, ...]
    roles: tuple[str, ...]


CONFIGS = {
    "HallLoop": Config("HallLoop", (
        "field_axis=z", "field_max=10 mT", "field_step=5 mT", "settle_time=10 ms",
        "read_current=0.5 mA"), ("source", "voltmeter", "magnet_z", "gaussmeter_z")),
    "HallLoop at 300 K": Config("HallLoop", (
        "field_axis=z", "field_max=10 mT", "field_step=10 mT", "settle_time=10 ms",
        "stage_temperature=300 K"), ("temperature",)),
    "USMRLoop": Config("USMRLoop", (
        "field_max=4 mT", "field_step=2 mT", "time_constant=10 ms", "settle_time=10 ms"),
        ("source", "lockin_xx", "magnet_y", "gaussmeter_y")),
    "SwitchingLoop with bias": Config("SwitchingLoop", (
        "max_pulse_current=30 mA", "pulse_steps=2", "readout=R_xy dc", "bias_field=2 mT",
        "bias_axis=x", "settle_time=10 ms"),
        ("source", "voltmeter", "magnet_x", "gaussmeter_x")),
    "PulseSequence of ns pulses": Config("PulseSequence", (
        "sequence=+20 mA x 20 ns *2, -20 mA x 20 ns *2", "readout=R_xx 2w",
        "settle_time=10 ms"), ("source", "lockin_xx", "pulser")),
    "SwitchingProbability": Config("SwitchingProbability", (
        "amplitude_min=30 mA", "amplitude_max=32 mA", "amplitude_steps=2",
        "pulse_widths=1 ms", "trials=2", "readout=R_xx 2w", "settle_time=0 s"),
        ("source", "lockin_xx")),
    "HarmonicHall": Config("HarmonicHall", (
        "mode=angle scan", "field_magnitudes=0.05", "angle_step=90 deg", "current=1 mA",
        "time_constant=10 ms", "settle_time=10 ms"),
        ("source", "lockin", "magnet_x", "gaussmeter_x", "magnet_y", "gaussmeter_y")),
}
CASES = [(name, role, kind) for name, config in CONFIGS.items() for role in config.roles
         for kind in KINDS]


def station_file(path: Path, faults: dict[str, dict[str, int]] | None = None) -> Path:
    data = yaml.load((EXAMPLES / "station-sim.yaml").read_text(encoding="utf-8"),
                     Loader=yaml.CSafeLoader)
    if faults:
        data["sim"]["faults"] = faults
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def messages(station: Station, roles: tuple[str, ...]) -> dict[str, int]:
    return {role: station.bench.faults_for(role).messages for role in roles}


@dataclass(frozen=True)
class Landing:
    after: int  # the fault starts at this message of the instrument (from station open)
    rows: int  # rows the run measures before it


@pytest.fixture(scope="module")
def landings(tmp_path_factory) -> dict[tuple[str, str], Landing]:
    """Where each role's fault lands, from one clean run of each configuration."""
    folder = tmp_path_factory.mktemp("clean")
    path = station_file(folder / "station.yaml")
    catalog = Catalog(folder / "data")
    out = {}
    for name, config in CONFIGS.items():
        proc = cli_measure.configured_procedure(config.procedure, config.settings)
        station = Station.open(path)
        try:
            # what `labspin run` sends before its run (what was left on, read and made safe)
            cli_measure.check_at_start(station, str(folder / "data"), "the clean run")
            opened = messages(station, config.roles)
            marks: list[dict[str, int]] = []

            def mark(_: object, station: Station = station, roles: tuple = config.roles,
                     marks: list = marks) -> None:
                marks.append(messages(station, roles))

            record = run_procedure(proc, station, catalog, on_row=mark)
            ended = messages(station, config.roles)
        finally:
            station.close()
        assert record.status == "finished", record.error
        middle = len(marks) // 2
        at_middle = marks[middle - 1] if middle else opened
        # the last row, not the run's end: after it come the shutdown and the bench state
        # read back for watchers, where a fault no longer fails the run
        last = marks[-1] if marks else ended
        for role in config.roles:
            assert ended[role] > opened[role], f"{name} does not use {role}"
            if last[role] > at_middle[role]:
                out[name, role] = Landing(at_middle[role], middle)
            else:  # only talked to before the first row (a gaussmeter during the bias
                # ramp, the stage controller settling)
                first = marks[0] if marks else ended
                out[name, role] = Landing((opened[role] + first[role]) // 2, 0)
    catalog.close()
    return out


# -- the bench's end state, read from the bench -----------------------------------------------
def left_on(bench: Any) -> dict[str, tuple[str, float]]:
    """What is still on: label -> (kind, value in A or V)."""
    on: dict[str, tuple[str, float]] = {}
    for axis, coil in bench.coils.items():
        if abs(coil.current) > 1e-9 or coil.output_enabled:
            on[f"magnet {axis}"] = ("carry", coil.current)
    ac = bench.ac_source()
    if ac is not None:
        on["source"] = ("sine", ac.ac_amplitude)
    elif bench.dc_current() != 0.0:
        on["source"] = ("DC", bench.dc_current())
    for model in bench.instruments.values():
        if type(model).__name__ == "Keysight81160AModel":
            for n, channel in model.channels.items():
                if channel.output:
                    on["pulser"] = ("output", float(n))
    return on


def stated_value(line: str, kind: str) -> float:
    """The number a 'may still' line gives, in A (or the output number)."""
    patterns = {"carry": r"may still (?:carry|have its output on at) (-?[\d.e+-]+) A",
                "sine": r"may still drive its (-?[\d.e+-]+) mA sine",
                "DC": r"may still drive (-?[\d.e+-]+) mA DC",
                "output": r"may still have output (\d)"}
    match = re.search(patterns[kind], line)
    assert match, f"no {kind} figure in {line!r}"
    value = float(match.group(1))
    return value * 1e-3 if kind in ("sine", "DC") else value


def data_rows(file: str) -> int:
    return len(Path(file).read_text(encoding="utf-8").split("#Data:")[1].splitlines()) - 2


@pytest.mark.parametrize(("name", "role", "kind"), CASES,
                         ids=[f"{n}-{r}-{k.removesuffix('_after')}" for n, r, k in CASES])
def test_a_fault_mid_run_fails_the_run_names_the_instrument_and_leaves_the_bench_safe(
        name, role, kind, landings, tmp_path, monkeypatch):
    config = CONFIGS[name]
    landing = landings[name, role]
    path = station_file(tmp_path / "station.yaml", {role: {kind: landing.after}})
    opened: list[Station] = []
    open_station = cli_measure.open_station

    def recording(*args: Any) -> Station:
        opened.append(open_station(*args))
        return opened[-1]

    monkeypatch.setattr(cli_measure, "open_station", recording)
    settings = [arg for setting in config.settings for arg in ("--set", setting)]
    result = CliRunner().invoke(main, ["run", config.procedure, "--station", str(path),
                                       "--data-dir", str(tmp_path / "data"), *settings])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output

    [record] = Catalog(tmp_path / "data").query()
    assert record.status == "failed"
    assert data_rows(record.file) == record.rows >= landing.rows  # every row on disk

    entry = opened[0].config.entries()[role]
    first_named = re.search(r"\((\w+) at ([^)]+)\)", record.error)
    assert first_named and first_named.groups() == (entry.driver, entry.resource), \
        record.error  # the instrument that failed, not the one whose block was running
    if kind == "garbage_after":  # the instrument, the command and the reply
        assert re.search(r"answered '[^']+' to '[^']+'", record.error), record.error

    station = opened[0]
    lines = result.stdout.strip().splitlines()
    warnings = [line for line in lines if line.startswith("WARNING: ")]
    if station.hazards:
        assert lines[-len(warnings):] == warnings == \
            [f"WARNING: {w}" for w in station.hazards.values()]  # they come last
    for label, (what, value) in left_on(station.bench).items():
        [line] = [w for w in warnings if w.startswith(f"WARNING: {label} (")]
        assert "may still" in line and line.endswith("switch its output off by hand")
        assert stated_value(line, what) == pytest.approx(value, rel=0.05)


def test_labspin_run_with_a_dropped_magnet_exits_non_zero_and_ends_with_the_warning(
        tmp_path):
    """The real command in its own process, as a user types it: no traceback on either
    stream, exit code 1, and the last line says which magnet may still carry what."""
    import subprocess
    import sys

    # mid-run: past the 3 messages of the check before the run (what was left on)
    path = station_file(tmp_path / "station.yaml", {"magnet_z": {"drop_after": 28}})
    done = subprocess.run(
        [sys.executable, "-m", "labspin", "run", "HallLoop", "--sim", "--station", str(path),
         "--data-dir", str(tmp_path / "data"), *CLI_SETTINGS],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"WARNING: magnet z \(KepcoBOP3612 at GPIB0::3::INSTR\) may still "
                        r"carry -?[\d.]+ A \(about -?[\d.]+ mT\) \(its connection is lost\): "
                        r"switch its output off by hand", last), last
    assert "failed" in done.stdout and "lost the connection to 'magnet_z'" in done.stdout
    rows = int(re.search(r"failed, (\d+) rows", done.stdout).group(1))
    assert 0 < rows < 10  # mid-run: the loop has 10 points


CLI_SETTINGS = ("--set", "field_axis=z", "--set", "field_max=10 mT", "--set",
                "field_step=5 mT", "--set", "settle_time=10 ms")
