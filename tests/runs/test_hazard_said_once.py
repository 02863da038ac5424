"""A magnet supply that stops answering mid-run: what ``labspin run`` (and ``labspin queue
run``) print, on both streams as a terminal shows them, says each fact once: what failed
(the instrument, its axis, its address and the command), what may still be on (the
supply's last known current and field) and what to do, the WARNING line last, and exit
code 1. Every measured row is on disk.

It once said the same hazard four ways: in the run's error ("shutdown incomplete: ..."),
the supply's own log warning, the make-safe log lines and the WARNING line.

The commands run in real processes (tests/runs/processes.py): logging with no handler
configured prints to stderr there, as in a terminal, where pytest's handlers would hide it.
"""

import re
from pathlib import Path

import pytest
import yaml

from labspin.runs import Catalog
from tests.runs import processes

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "station-sim.yaml"
HALL = {"field_axis": "z", "field_max": "10 mT", "field_step": "5 mT",
        "settle_time": "10 ms"}
SETTINGS = [arg for key, value in HALL.items() for arg in ("--set", f"{key}={value}")]
SUPPLY = "KepcoBOP3612 at GPIB0::3::INSTR"


def faulty_station(tmp_path: Path, fault: str) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    # mid-loop, 4 of its 10 points: past the 3 messages of the check before the run
    data["sim"]["faults"] = {"magnet_z": {fault: 28}}
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def labspin(tmp_path: Path, *args: str) -> tuple[int, str]:
    output = tmp_path / "terminal.txt"
    process = processes.start([*args], output)
    code = process.wait()
    return code, process.output()


def said_once(output: str, fact: str) -> None:
    assert output.count(fact) == 1, f"{fact!r} said {output.count(fact)} times:\n{output}"


def data_rows(file: str) -> int:
    return len(Path(file).read_text(encoding="utf-8").split("#Data:")[1].splitlines()) - 2


#: per fault: what failed, what may still be on (the numbers from the WARNING line), and
#: what the user must do
FACTS = {
    "timeout_after": (
        f"'magnet_z' ({SUPPLY}) did not answer 'MEASure:CURRent?' in time (during a ramp "
        "of magnet z to -0.01 T)",
        rf"magnet z \({SUPPLY}\) was ramped to zero by writes only from (-?[\d.]+ A) "
        r"\(about (-?[\d.]+ mT)\) at 0\.5 T/s and its output switched off \(it did not "
        r"answer 'OUTPut\?'\), but the field could not be confirmed: (check that its "
        r"output is off)"),
    "drop_after": (
        f"lost the connection to 'magnet_z' ({SUPPLY}) sending 'MEASure:CURRent?' (during "
        "a ramp of magnet z to -0.01 T)",
        rf"magnet z \({SUPPLY}\) may still carry (-?[\d.]+ A) \(about (-?[\d.]+ mT)\) \(its "
        r"connection is lost\): (switch its output off by hand)"),
}


def assert_each_fact_once(output: str, fault: str) -> None:
    failure, hazard = FACTS[fault]
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    warnings = [line for line in lines if "WARNING" in line]
    assert warnings == [lines[-1]], output  # one WARNING line, the last
    match = re.fullmatch(f"WARNING: {hazard}", lines[-1])
    assert match, lines[-1]
    current, field, todo = match.groups()
    said_once(output, failure)  # what failed
    for fact in (current, field, "by writes only", "could not be confirmed", "connection is "
                 "lost", "may still", todo, "OUTPut?"):  # what may be on, what to do
        if fact in lines[-1]:
            said_once(output, fact)
    named = [line for line in lines if "GPIB0::3::INSTR" in line]
    assert len(named) == 2 and named[-1] == lines[-1], output  # the failure, the hazard


@pytest.mark.parametrize("fault", FACTS)
def test_labspin_run_says_each_hazard_fact_once_and_exits_non_zero(tmp_path, fault):
    station = faulty_station(tmp_path, fault)
    code, output = labspin(tmp_path, "run", "HallLoop", "--station", str(station),
                           "--data-dir", str(tmp_path / "data"), *SETTINGS)
    assert code == 1, output
    assert_each_fact_once(output, fault)
    [record] = Catalog(tmp_path / "data").query()
    assert record.status == "failed"
    assert f"run {record.id}: failed, {record.rows} rows → {record.file}" in output
    assert 0 < data_rows(record.file) == record.rows < 10  # every measured row on disk
    # the catalog keeps the whole story for later (labspin runs, the GUI)
    assert "shutdown incomplete: magnet z" in record.error


def test_labspin_queue_run_says_it_once_too(tmp_path):
    station = faulty_station(tmp_path, "timeout_after")
    queue = tmp_path / "night.yaml"
    queue.write_text(yaml.safe_dump({"name": "night", "station": station.name, "steps": [
        {"procedure": "HallLoop", "parameters": HALL, "repeat": 2}]}), encoding="utf-8")
    code, output = labspin(tmp_path, "queue", "run", str(queue), "--data-dir",
                           str(tmp_path / "data"))
    assert code == 1, output
    assert_each_fact_once(output, "timeout_after")
    said_once(output, "continue with --resume")  # what to do once it is safe
    [record] = Catalog(tmp_path / "data").query()  # the queue stopped after it
    assert record.status == "failed" and 0 < data_rows(record.file) == record.rows


def test_a_pulse_generator_lost_mid_run_is_said_once_too(tmp_path):
    """After the run, the bench is read back for the status page; the pulser it cannot
    read is the one the WARNING names already, so that is not said again either."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["sim"]["faults"] = {"pulser": {"drop_after": 30}}
    station = tmp_path / "station.yaml"
    station.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, output = labspin(tmp_path, "run", "PulseSequence", "--station", str(station),
                           "--data-dir", str(tmp_path / "data"),
                           "--set", "sequence=+20 mA x 20 ns *2, -20 mA x 20 ns *2",
                           "--set", "readout=R_xx 2w", "--set", "settle_time=10 ms")
    assert code == 1 and "Traceback" not in output, output
    lines = output.strip().splitlines()
    assert [line for line in lines if "WARNING" in line] == [lines[-1]]
    assert re.fullmatch(r"WARNING: pulser \(Keysight81160A at GPIB0::10::INSTR\) may still "
                        r"have output 1 on \(4 V pulses\) \(its connection is lost\): switch "
                        r"its output off by hand", lines[-1]), lines[-1]
    said_once(output, "lost the connection to 'pulser'")  # what failed
    for fact in ("output 1 on", "4 V pulses", "switch its output off by hand"):
        said_once(output, fact)
    [record] = Catalog(tmp_path / "data").query()
    assert 0 < data_rows(record.file) == record.rows
